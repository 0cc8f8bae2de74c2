namespace Chorus.IntegrationTests.Support;

/// <summary>Starts a pre-built .NET assembly as its own process (<c>dotnet X.dll ...</c>), never <c>dotnet run</c>.</summary>
internal static class DotnetHost
{
    /// <summary>The <c>dotnet</c> host running these tests (the SDK sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string Executable =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Starts <paramref name="assembly"/> with <paramref name="arguments"/>.</summary>
    /// <param name="assembly">The built <c>.dll</c>.</param>
    /// <param name="arguments">Its command line.</param>
    /// <param name="environment">Extra variables (a null value removes one).</param>
    /// <param name="keepInputOpen">Leave stdin open for children that run until it closes.</param>
    public static ChildProcess Start(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, bool keepInputOpen = false) =>
        ChildProcess.Start(Executable, [assembly, .. arguments], environment, keepInputOpen: keepInputOpen);

    /// <summary>The command line that runs <paramref name="assembly"/>, for a launcher that executes it itself.</summary>
    public static string[] CommandLine(string assembly, IEnumerable<string> arguments) => [Executable, assembly, .. arguments];
}
