namespace Chorus.IntegrationTests.Support;

/// <summary>
/// Runs the built <c>chorus</c> tool the way a user's script would: the framework-dependent build
/// (<c>dotnet chorus.dll ...</c>) by default, or the NativeAOT executable that ships
/// (<c>artifacts/bin/linux-x64/chorus</c> from <c>scripts/pack.sh</c>) when <c>CHORUS_CLI=native</c>.
/// scripts/test.sh runs the integration tests once with each.
/// </summary>
internal static class ChorusCli
{
    /// <summary>The variable that picks the build under test: <c>native</c>, or unset for the framework-dependent one.</summary>
    public const string BuildVariable = "CHORUS_CLI";

    /// <summary>True when the tests run the native executable.</summary>
    public static bool IsNative { get; } = Environment.GetEnvironmentVariable(BuildVariable) switch
    {
        null or "" or "dotnet" => false,
        "native" => true,
        string other => throw new InvalidOperationException($"{BuildVariable}={other}: use 'native' or leave it unset."),
    };

    /// <summary>How long one CLI run may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts <c>chorus</c> with <paramref name="arguments"/>.</summary>
    /// <param name="arguments">The command line after <c>chorus</c>.</param>
    /// <param name="environment">Extra variables (a null value removes one).</param>
    public static ChildProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        IsNative
            ? ChildProcess.Start(NativeExecutable(), arguments, environment)
            : DotnetHost.Start(RepoPaths.ChorusDll, arguments, environment);

    private static string NativeExecutable() => File.Exists(RepoPaths.NativeChorus)
        ? RepoPaths.NativeChorus
        : throw new FileNotFoundException($"{BuildVariable}=native but {RepoPaths.NativeChorus} is missing: run scripts/pack.sh first.");

    /// <summary>The command line (program first) that runs <c>chorus</c> with <paramref name="arguments"/>, for launchers.</summary>
    public static string[] CommandLine(IEnumerable<string> arguments) =>
        IsNative ? [NativeExecutable(), .. arguments] : DotnetHost.CommandLine(RepoPaths.ChorusDll, arguments);

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
