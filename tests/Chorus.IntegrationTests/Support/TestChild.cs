namespace Chorus.IntegrationTests.Support;

/// <summary>The pre-built worker child (<c>dotnet Chorus.TestChild.dll COMMAND ...</c>) that writes with the Chorus client.</summary>
internal static class TestChild
{
    /// <summary>How long one run to completion may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts a child that keeps running (stdin open: the commands that wait finish when it closes).</summary>
    public static ChildProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        DotnetHost.Start(RepoPaths.TestChildDll, arguments, environment, keepInputOpen: true);

    /// <summary>Runs a child to completion (stdin closed at once).</summary>
    public static ProcessResult Run(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        using ChildProcess child = DotnetHost.Start(RepoPaths.TestChildDll, arguments, environment);
        return child.Wait(Timeout);
    }
}
