using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Chorus.IntegrationTests.Serve;

/// <summary>A real Prometheus server (Debian's <c>prometheus</c>) scraping one target every second, with its own storage.</summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly ServeTempDirectory _home;
    private readonly HttpClient _client;

    private PrometheusServer(Process process, ServeTempDirectory home, Uri baseAddress)
    {
        _process = process;
        _home = home;
        _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public static async Task<PrometheusServer> StartAsync(Uri target, string metricsPath = "/metrics")
    {
        var home = new ServeTempDirectory("chorus-prometheus-");
        string config = home.Combine("prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: chorus
                metrics_path: {metricsPath}
                static_configs:
                  - targets: ['{target.Authority}']
            """);
        int port = FreePort.Next();
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--config.file=" + config,
            "--storage.tsdb.path=" + home.Combine("data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, home, new Uri($"http://127.0.0.1:{port}/"));
        Stopwatch waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using HttpResponseMessage ready = await server._client.GetAsync(new Uri("-/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                server.Dispose();
                throw new InvalidOperationException("prometheus did not become ready within 30 s");
            }

            await Task.Delay(100);
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
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        _home.Dispose();
    }
}
