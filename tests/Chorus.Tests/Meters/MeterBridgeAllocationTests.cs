using System.Diagnostics.Metrics;

namespace Chorus.Tests.Meters;

/// <summary>A measurement whose series exists allocates nothing on the recording thread, in either mode.</summary>
public sealed class MeterBridgeAllocationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _meterName = "Chorus.Tests.Allocation." + Guid.NewGuid().ToString("N");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CounterWithTwoTags_AndHistogramWithThreeTags_AllocateNothing(bool multiProcess)
    {
        using MetricRegistry registry = Metrics.NewCustomRegistry(multiProcess ? new ChorusOptions { Directory = _dir.Path } : null);
        using IDisposable listening = registry.ListenToMeters(new MeterOptions()
            .AddMeter(_meterName)
            .AddView("filtered", new MeterView { TagKeys = ["method"] }));
        using var meter = new Meter(_meterName);
        Counter<long> counter = meter.CreateCounter<long>("requests");
        Histogram<double> histogram = meter.CreateHistogram<double>("duration", "s");
        Counter<long> filtered = meter.CreateCounter<long>("filtered");

        // Tag values boxed once, as ASP.NET Core caches its status codes: boxing is the caller's allocation.
        object status = 200;
        var method = new KeyValuePair<string, object?>("method", "GET");
        var code = new KeyValuePair<string, object?>("status", status);
        var route = new KeyValuePair<string, object?>("route", "/items/{id}");
        // As many calls first as are measured: the runtime's tiering of these methods (a few KiB on this thread, now and
        // then, while they are measured) is over before the count starts.
        for (int i = 0; i < 10_001; i++)
        {
            Record(counter, histogram, filtered, method, code, route);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Record(counter, histogram, filtered, method, code, route);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(20_001, Samples(registry)["requests_total{method=\"GET\",status=\"200\"}"]);
        Assert.Equal(20_001, Samples(registry)["filtered_total{method=\"GET\"}"]);
    }

    private static void Record(Counter<long> counter, Histogram<double> histogram, Counter<long> filtered, KeyValuePair<string, object?> method, KeyValuePair<string, object?> code, KeyValuePair<string, object?> route)
    {
        counter.Add(1, method, code);
        histogram.Record(0.02, method, code, route);
        filtered.Add(1, method, code);
    }

    private static Dictionary<string, double> Samples(MetricRegistry registry) => MeterBridgeTests.Samples(MeterBridgeTests.Scrape(registry));
}
