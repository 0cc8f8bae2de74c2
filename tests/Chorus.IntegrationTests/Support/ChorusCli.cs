namespace Chorus.IntegrationTests.Support;

/// <summary>Runs the built <c>chorus</c> tool (<c>dotnet chorus.dll ...</c>) the way a user's script would.</summary>
internal static class ChorusCli
{
    /// <summary>How long one CLI run may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts <c>chorus</c> with <paramref name="arguments"/>.</summary>
    /// <param name="arguments">The command line after <c>chorus</c>.</param>
    /// <param name="environment">Extra variables (a null value removes one).</param>
    public static ChildProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        DotnetHost.Start(RepoPaths.ChorusDll, arguments, environment);

    /// <summary>The command line (program first) that runs <c>chorus</c> with <paramref name="arguments"/>, for launchers.</summary>
    public static string[] CommandLine(IEnumerable<string> arguments) => DotnetHost.CommandLine(RepoPaths.ChorusDll, arguments);

    /// <summary>Runs <c>chorus</c> with <paramref name="arguments"/> to completion.</summary>
    public static async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        using ChildProcess child = Start(arguments);
        return await child.WaitAsync(Timeout);
    }

    /// <summary>Runs <c>chorus</c> with an environment.</summary>
    public static async Task<ProcessResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        using ChildProcess child = Start(arguments, environment);
        return await child.WaitAsync(Timeout);
    }

    /// <summary>The blocking form of <see cref="RunAsync"/>, for synchronous tests.</summary>
    public static ProcessResult Run(params string[] arguments) => RunWithEnvironment(null, arguments);

    /// <summary>The blocking form of <see cref="RunAsync"/> for a command allowed more or less than <see cref="Timeout"/>.</summary>
    public static ProcessResult Run(TimeSpan timeout, params string[] arguments)
    {
        using ChildProcess child = Start(arguments);
        return child.Wait(timeout);
    }

    /// <summary>The blocking form of <see cref="RunWithEnvironmentAsync"/>, for synchronous tests.</summary>
    public static ProcessResult RunWithEnvironment(IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        using ChildProcess child = Start(arguments, environment);
        return child.Wait(Timeout);
    }

    /// <summary><c>chorus scrape --dir DIR</c> in the Prometheus text format.</summary>
    public static Task<ProcessResult> ScrapeAsync(string directory, string format = "prometheus") =>
        RunAsync("scrape", "--dir", directory, "--format", format);
}
