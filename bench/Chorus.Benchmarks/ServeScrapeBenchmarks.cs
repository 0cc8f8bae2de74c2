using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Chorus.Aggregation;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Benchmarks;

/// <summary>
/// One <c>/metrics</c> request through the real endpoint handler (negotiation, collect, self-metrics, pooled body),
/// in process, over a prometheus_client directory written by <c>bench/scrape/gen_dir.py</c>. "Allocated" per warm
/// scrape is the figure the issue asks for; the HTTP latency against Python is <c>bench/serve/serve_latency.py</c>.
/// Run: <c>dotnet run -c Release --project bench/Chorus.Benchmarks -- --filter *ServeScrape*</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ServeScrapeBenchmarks
{
    private string _directory = "";
    private MultiProcessDirectory? _source;
    private MetricsEndpoint? _endpoint;

    /// <summary>Number of <c>.db</c> files (4 per fake process).</summary>
    [Params(1000, 5000, 10000)]
    public int Files { get; set; }

    /// <summary>Writes the directory and warms the endpoint (keys parsed, buffers sized).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory($"chorus-serve-bench-{Files}-").FullName;
        string generator = Environment.GetEnvironmentVariable("GEN_DIR") is { Length: > 0 } custom ? custom : Path.Combine(RepoRoot(), "bench", "scrape", "gen_dir.py");
        using (Process gen = Process.Start("/usr/bin/python3", [generator, _directory, Files.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            gen.WaitForExit();
            if (gen.ExitCode != 0)
            {
                throw new InvalidOperationException($"{generator} failed with {gen.ExitCode}");
            }
        }

        _source = MultiProcessDirectory.Open(_directory);
        _endpoint = new MetricsEndpoint(_source, new ChorusEndpointOptions { Directory = _directory }, NullLogger.Instance);
        WarmScrape().GetAwaiter().GetResult();
        WarmScrape().GetAwaiter().GetResult();
    }

    /// <summary>Removes the directory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _source?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A scrape after earlier ones: only values are re-read.</summary>
    [Benchmark(Baseline = true)]
    public Task WarmScrape() => _endpoint!.HandleAsync(NewContext());

    /// <summary>A first scrape: a fresh reader parses every key of every file.</summary>
    [Benchmark]
    public async Task ColdScrape()
    {
        using MultiProcessDirectory source = MultiProcessDirectory.Open(_directory);
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { Directory = _directory }, NullLogger.Instance);
        await endpoint.HandleAsync(NewContext());
    }

    private static DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = "text/plain;version=0.0.4";
        context.Response.Body = Stream.Null;
        return context;
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Chorus.slnx not found above " + AppContext.BaseDirectory);
    }
}
