using System.Text.RegularExpressions;

namespace Chorus.IntegrationTests.Support;

/// <summary>A <c>chorus serve</c> process listening on a port of its own choosing on loopback; disposing kills it.</summary>
internal sealed partial class ChorusServeProcess : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private readonly ChildProcess _process;

    private ChorusServeProcess(ChildProcess process, Uri metricsUrl)
    {
        _process = process;
        MetricsUrl = metricsUrl;
    }

    public Uri MetricsUrl { get; }

    /// <summary>The process id of <c>chorus serve</c>.</summary>
    public int Pid => _process.Pid;

    public Uri BaseAddress => new(MetricsUrl, "/");

    /// <summary>What serve logged to stderr so far.</summary>
    public string StandardError => _process.StderrSoFar;

    /// <summary>Starts <c>chorus serve --dir DIR --listen 127.0.0.1:0</c> plus <paramref name="extraArgs"/> and waits for the URL it prints.</summary>
    public static Task<ChorusServeProcess> StartAsync(string directory, params string[] extraArgs) =>
        StartAsync(ChorusCli.Start(["serve", "--dir", directory, "--listen", "127.0.0.1:0", .. extraArgs]));

    /// <summary>Takes over a started <c>chorus serve</c> (or a launcher that becomes one) and waits for the URL it prints.</summary>
    public static async Task<ChorusServeProcess> StartAsync(ChildProcess process)
    {
        try
        {
            string line = await process.WaitForLineAsync(l => UrlPattern().IsMatch(l), "naming its /metrics URL", s_startTimeout);
            return new ChorusServeProcess(process, new Uri(UrlPattern().Match(line).Groups[1].Value));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Sends a signal (SIGTERM by default) and returns the exit code.</summary>
    public async Task<int> TerminateAsync(string signal = "TERM")
    {
        _process.Signal(signal);
        return (await _process.WaitAsync(TimeSpan.FromSeconds(20))).ExitCode;
    }

    public void Dispose() => _process.Dispose();

    [GeneratedRegex(@" on (https?://\S+/metrics)")]
    private static partial Regex UrlPattern();
}
