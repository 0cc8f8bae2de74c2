using System.Buffers;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Chorus.Exposition;
using Chorus.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Chorus.IntegrationTests.Meters;

/// <summary>
/// The same meter, the same measurements, listened to at once by the OpenTelemetry SDK (served by
/// <c>OpenTelemetry.Exporter.Prometheus.AspNetCore</c> from Kestrel) and by the Chorus bridge: the same family
/// names, types, label names and values, and sample values.
/// </summary>
/// <remarks>
/// Differences the specification allows, removed before comparing: OpenTelemetry adds <c>target_info</c> (resource
/// attributes) and <c>otel_scope_name</c>/<c>otel_scope_version</c> labels (instrumentation scope), and writes
/// timestamps and <c>1</c> where Chorus writes <c>1.0</c> (numbers are compared as numbers, <c>le</c> too).
/// One naming difference is Chorus's choice: the spec's "special case: converting <c>1</c> to <c>ratio</c>" is applied
/// to gauges (as the OpenTelemetry Collector does), while OpenTelemetry .NET 1.20 drops the unit <c>1</c>.
/// </remarks>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class OpenTelemetryDifferentialTests
{
    // Chorus family → OpenTelemetry .NET family, for the differences listed above.
    private static readonly Dictionary<string, string> s_renamed = new(StringComparer.Ordinal)
    {
        ["app_utilization_ratio"] = "app_utilization",
    };

    [Fact]
    public async Task SameMeasurements_SameFamiliesTypesLabelsAndValues()
    {
        string meterName = "Chorus.Differential." + Guid.NewGuid().ToString("N");
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder().AddMeter(meterName).AddPrometheusExporter().Build();
        using MetricRegistry registry = Metrics.NewCustomRegistry();
        using IDisposable listening = registry.ListenToMeters(new MeterOptions().AddMeter(meterName));

        using (var meter = new Meter(meterName, "1.2.3"))
        {
            Record(meter);
            int port = FreeLoopbackPort.Next();
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
            await using WebApplication app = builder.Build();
            app.UseOpenTelemetryPrometheusScrapingEndpoint(provider, null, "/metrics", null, null);
            await app.StartAsync();

            using var client = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/metrics");
            request.Headers.Accept.ParseAdd("text/plain; version=0.0.4");
            using HttpResponseMessage response = await client.SendAsync(request);
            string otelText = await response.Content.ReadAsStringAsync();
            await app.StopAsync();

            var buffer = new ArrayBufferWriter<byte>();
            registry.Collect(buffer, ExpositionFormat.PrometheusText);
            string chorusText = Encoding.UTF8.GetString(buffer.WrittenSpan);

            Dictionary<string, (string? Type, Dictionary<string, double> Samples)> otel = Normalize(otelText);
            Dictionary<string, (string? Type, Dictionary<string, double> Samples)> chorus = Normalize(chorusText);
            Assert.True(otel.Count >= 9, otelText);
            Assert.Equal(otel.Keys.Order(StringComparer.Ordinal), chorus.Keys.Order(StringComparer.Ordinal));
            foreach ((string family, (string? type, Dictionary<string, double> samples)) in otel)
            {
                Assert.True(type == chorus[family].Type, $"{family}: OpenTelemetry {type}, Chorus {chorus[family].Type}");
                Assert.Equal(samples.Keys.Order(StringComparer.Ordinal), chorus[family].Samples.Keys.Order(StringComparer.Ordinal));
                foreach ((string sample, double value) in samples)
                {
                    Assert.True(Math.Abs(value - chorus[family].Samples[sample]) <= 1e-9 * Math.Max(1, Math.Abs(value)), $"{sample}: OpenTelemetry {value}, Chorus {chorus[family].Samples[sample]}");
                }
            }
        }
    }

    private static void Record(Meter meter)
    {
        Counter<long> requests = meter.CreateCounter<long>("app.requests", "{request}", "Requests served.");
        requests.Add(3, new("http.route", "/a"), new("http.response.status_code", 200));
        requests.Add(1, new("http.route", "/b"), new("http.response.status_code", 500));
        requests.Add(2, new("http.response.status_code", 200), new("http.route", "/a"));
        meter.CreateCounter<double>("app.sent", "By", "Bytes sent.").Add(1536.5, new KeyValuePair<string, object?>("peer.name", "x y"));
        UpDownCounter<int> active = meter.CreateUpDownCounter<int>("app.active_requests", "{request}", "In flight.");
        active.Add(4, new KeyValuePair<string, object?>("url.scheme", "http"));
        active.Add(-1, new KeyValuePair<string, object?>("url.scheme", "http"));
        meter.CreateGauge<double>("app.temperature", "Cel", "Temperature.").Record(-3.25, new KeyValuePair<string, object?>("room", "cold"));
        Histogram<double> duration = meter.CreateHistogram<double>("app.request.duration", "s", "Duration.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
        foreach (double seconds in new[] { 0.003, 0.02, 0.02, 0.3, 4, 12 })
        {
            duration.Record(seconds, new KeyValuePair<string, object?>("http.route", "/a"));
        }

        Histogram<long> latency = meter.CreateHistogram<long>("db.latency", "ms", "Latency without advice.");
        foreach (long ms in new long[] { 0, 4, 30, 800, 20000 })
        {
            latency.Record(ms, new KeyValuePair<string, object?>("db.system", "postgresql"));
        }

        meter.CreateObservableCounter("app.cpu.time", () => new Measurement<double>(1.75, new KeyValuePair<string, object?>("cpu.mode", "user")), "s", "CPU time.");
        meter.CreateObservableUpDownCounter("app.queue.length", () => 9L, "{item}", "Queued.");
        meter.CreateObservableGauge("app.utilization", () => 0.5, "1", "Utilization.");
    }

    // Family → (type, sample key → value), without what the specification lets the exporters differ in.
    private static Dictionary<string, (string? Type, Dictionary<string, double> Samples)> Normalize(string exposition)
    {
        var result = new Dictionary<string, (string?, Dictionary<string, double>)>(StringComparer.Ordinal);
        foreach (ParsedFamily family in ExpositionParser.Parse(exposition))
        {
            if (family.Name is "target_info" or "otel_scope_info" || family.Name.StartsWith("chorus_", StringComparison.Ordinal))
            {
                continue;
            }

            var samples = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (ParsedSample sample in family.Samples)
            {
                IEnumerable<string> labels = sample.Labels
                    .Where(l => !l.Key.StartsWith("otel_scope_", StringComparison.Ordinal))
                    .Select(l => l.Key == "le" ? $"le={ExpositionParser.ParseValue(l.Value).ToString("R", CultureInfo.InvariantCulture)}" : $"{l.Key}={l.Value}")
                    .Order(StringComparer.Ordinal);
                samples[sample.Name + "{" + string.Join(",", labels) + "}"] = sample.Value;
            }

            string name = s_renamed.GetValueOrDefault(family.Name, family.Name);
            result[name] = (family.Type, samples.ToDictionary(p => p.Key.StartsWith(family.Name, StringComparison.Ordinal) ? name + p.Key[family.Name.Length..] : p.Key, p => p.Value));
        }

        return result;
    }
}
