using System.Diagnostics.Metrics;
using System.Globalization;

namespace Chorus.TestChild;

/// <content>The <c>meters</c> scenario: System.Diagnostics.Metrics instruments recorded through the bridge.</content>
internal static partial class Program
{
    /// <summary>The meter the scenario creates; the tests expect its instruments under these names.</summary>
    public const string MeterName = "Chorus.TestChild";

    // N requests on a counter (2 tags) and a histogram (advised bounds), one active request held open on an
    // up-down counter, a gauge set to the slot number; prints "recorded", then holds everything until stdin closes.
    private static int RecordMeters(MetricRegistry registry, int requests)
    {
        using IDisposable listening = registry.ListenToMeters(new MeterOptions().AddMeter(MeterName));
        using var meter = new Meter(MeterName);
        Counter<long> served = meter.CreateCounter<long>("child.requests", "{request}", "Requests served.");
        Histogram<double> duration = meter.CreateHistogram<double>(
            "child.request.duration", "s", "Request duration.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1] });
        UpDownCounter<int> active = meter.CreateUpDownCounter<int>("child.active_requests", "{request}", "Requests in progress.");
        Gauge<double> slot = meter.CreateGauge<double>("child.slot", null, "This process's slot.");

        for (int i = 0; i < requests; i++)
        {
            string route = i % 2 == 0 ? "/a" : "/b";
            served.Add(1, new("http.route", route), new("http.response.status_code", 200));
            duration.Record(i % 3 * 0.05, new KeyValuePair<string, object?>("http.route", route));
        }

        active.Add(1);
        slot.Record(double.Parse(registry.Identity ?? "-1", CultureInfo.InvariantCulture));
        Console.WriteLine("recorded");
        return WaitForStdin();
    }
}
