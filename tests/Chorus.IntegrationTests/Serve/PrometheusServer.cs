using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>A real Prometheus server (Debian's <c>prometheus</c>) scraping one target every second (or as told), with its own storage.</summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly ChildProcess _process;
    private readonly TempDirectory _home;
    private readonly HttpClient _client;

    private PrometheusServer(ChildProcess process, TempDirectory home, Uri baseAddress)
    {
        _process = process;
        _home = home;
        _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (its scheme, host and port) every second, or every <paramref name="intervalSeconds"/>.</summary>
    /// <param name="target">Where the target listens; an https target is verified against <paramref name="caFile"/>.</param>
    /// <param name="metricsPath">The path Prometheus scrapes.</param>
    /// <param name="caFile">The PEM certificate that signs the target's (for https).</param>
    /// <param name="basicAuth">The user and password Prometheus sends, if any.</param>
    /// <param name="replica">The server's <c>replica</c> external label, if any: one of a pair. Prometheus seeds each target's
    /// scrape offset with its external labels, so two servers that differ in it scrape one target at different offsets.</param>
    /// <param name="intervalSeconds">Its <c>scrape_interval</c> in seconds.</param>
    public static async Task<PrometheusServer> StartAsync(Uri target, string metricsPath = "/metrics", string? caFile = null, (string User, string Password)? basicAuth = null, string? replica = null, int intervalSeconds = 1)
    {
        var home = new TempDirectory("prometheus");
        string config = home.File("prometheus.yml");
        string security = "";
        if (caFile is not null)
        {
            security += $"""

                    tls_config:
                      ca_file: '{caFile}'
                """;
        }

        if (basicAuth is { } credentials)
        {
            security += $"""

                    basic_auth:
                      username: '{credentials.User}'
                      password: '{credentials.Password}'
                """;
        }

        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: {intervalSeconds}s
              scrape_timeout: 1s{(replica is null ? "" : $"\n  external_labels: {{replica: '{replica}'}}")}
            scrape_configs:
              - job_name: chorus
                scheme: {target.Scheme}
                metrics_path: {metricsPath}{security}
                static_configs:
                  - targets: ['{target.Authority}']
            """);
        int port = FreeLoopbackPort.Next();
        ChildProcess process = ChildProcess.Start("prometheus",
        [
            "--config.file=" + config,
            "--storage.tsdb.path=" + home.File("data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
        ]);
        var server = new PrometheusServer(process, home, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await HttpReadiness.WaitUntilServingAsync(new Uri(server._client.BaseAddress!, "-/ready"), process, TimeSpan.FromSeconds(30));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs an instant query and returns the value of its single result, or null when it has none.</summary>
    public async Task<double?> QueryScalarAsync(string promQl)
    {
        using HttpResponseMessage response = await _client.GetAsync(new Uri("api/v1/query?query=" + Uri.EscapeDataString(promQl), UriKind.Relative));
        response.EnsureSuccessStatusCode();
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        JsonElement result = json.RootElement.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0)
        {
            return null;
        }

        Assert.Equal(1, result.GetArrayLength());
        return double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Polls <paramref name="promQl"/> until it equals <paramref name="expected"/>; returns the last value seen.</summary>
    public async Task<double?> WaitForValueAsync(string promQl, double expected, TimeSpan timeout)
    {
        Stopwatch waited = Stopwatch.StartNew();
        double? last = null;
        while (waited.Elapsed < timeout)
        {
            last = await QueryScalarAsync(promQl);
            if (last == expected)
            {
                return last;
            }

            await Task.Delay(250);
        }

        return last;
    }

    public void Dispose()
    {
        _client.Dispose();
        _process.Dispose();
        _home.Dispose();
    }
}
