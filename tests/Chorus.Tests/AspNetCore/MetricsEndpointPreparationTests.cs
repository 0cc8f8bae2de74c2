using System.IO.Compression;
using System.Text;
using Chorus.Aggregation;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Chorus.Tests.Aggregation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// Scrapes at a steady interval are prepared ahead (<see cref="ScrapePreparation"/>), and the prepared scrape still
/// serves the files' values as they are when it arrives, not as the preparation read them.
/// </summary>
public sealed class MetricsEndpointPreparationTests
{
    [Fact]
    public async Task ASteadyScrapesNext_IsPreparedAhead_AndStillServesAValueWrittenAfterThePreparation()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_3900001.db");
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(path);
        using var writer = new MappedTestWriter(path);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);

        // Three scrapes ten seconds apart on the endpoint's clock; the fourth is due ten seconds after the third, and its
        // preparation starts at most a quarter of the interval before.
        var time = new FakeTimeProvider();
        var endpoint = new MetricsEndpoint(reader, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance, time);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            time.AdvanceInSteps(TimeSpan.FromSeconds(scrape == 0 ? 0 : 10));
            Assert.Contains("c_total 1.0\n", await ScrapeAsync(endpoint));
        }

        ScrapePreparation preparation = endpoint.Preparation!;
        int before = preparation.Runs;
        time.AdvanceInSteps(TimeSpan.FromSeconds(7.4));
        Assert.Equal(before, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromSeconds(2.599));
        Assert.Equal(before + 1, preparation.Runs);
        writer.Write(new DbFileBuilder(capacity: 4096).Add("c", "c_total", 5.0).Build());

        string prepared = await ScrapeAsync(endpoint);
        Assert.Contains("c_total 5.0\n", prepared);
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(Exposition(fresh), prepared);
    }

    [Fact]
    public async Task APreparation_RunsTheCollectionBetweenScrapes_WhenOneIsDue()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(dir.File("counter_3900001.db"));
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);
        var time = new FakeTimeProvider();
        var options = new ChorusEndpointOptions { IncludeSelfMetrics = false, CollectGarbageBetweenScrapes = true };

        // The process's counters as the test sets them: the runtime's own collections, which other tests set off beside
        // this one and which start the count again, made a real process's counters miss the preparation 40 times in a row
        // in one CI run.
        var process = new FakeProcess();
        var endpoint = new MetricsEndpoint(reader, options, NullLogger.Instance, time, process.Between());
        GarbageCollectionBetweenScrapes between = endpoint.CollectionsBetweenScrapes!;

        // Scrapes about ten seconds apart, each next one prepared ahead with two MiB allocated since the last response,
        // until a preparation found a collection due (the runs responses leave pending are waited out first, so only it
        // can have run): once the cadence is known. The intervals differ by 7-16 ms, in no pattern of a few scrapers, so a
        // preparation starts 28 ms or more ahead (four times the jitter): room for its collection
        // (GarbageCollectionBetweenScrapes.LeastRoomBeforeScrape) on a clock where scrapes take no time.
        bool ranByPreparation = false;
        for (int scrape = 0; scrape < 40 && !ranByPreparation; scrape++)
        {
            await Eventually.HoldsAsync(() => !between.Pending);
            int run = between.Run;
            process.Allocated += 2 * GarbageCollectionBetweenScrapes.AllocatedBytes;
            int prepared = endpoint.Preparation!.Runs;
            time.AdvanceInSteps(scrape == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(10_000 + ((scrape * 7) % 17) - 8));
            ranByPreparation = endpoint.Preparation.Runs > prepared && between.Run > run;
            Assert.Contains("c_total 1.0\n", await ScrapeAsync(endpoint));
        }

        Assert.True(ranByPreparation, "no preparation ran a collection");
        await Eventually.HoldsAsync(() => !between.Pending);
    }

    [Fact]
    public void NothingIsPrepared_WhenTheOptionIsOff_OrTheSourceIsNoDirectory()
    {
        using var dir = new TempDirectory();
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);
        var off = new MetricsEndpoint(reader, new ChorusEndpointOptions { PrepareAheadOfScrapes = false }, NullLogger.Instance);
        var registry = new MetricsEndpoint(new MetricRegistry(null), new ChorusEndpointOptions(), NullLogger.Instance);
        var on = new MetricsEndpoint(reader, new ChorusEndpointOptions(), NullLogger.Instance);

        Assert.Null(off.Preparation);
        Assert.Null(registry.Preparation);
        Assert.NotNull(on.Preparation);
    }

    private static string Exposition(MultiProcessDirectory reader)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        reader.Collect(output, ExpositionFormat.PrometheusText);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static async Task<string> ScrapeAsync(MetricsEndpoint endpoint)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = "text/plain;version=0.0.4";
        context.Request.Headers.AcceptEncoding = "gzip";
        using var body = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        await endpoint.HandleAsync(context);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("gzip", context.Response.Headers.ContentEncoding.ToString());
        body.Position = 0;
        using var gunzip = new GZipStream(body, CompressionMode.Decompress);
        using var text = new StreamReader(gunzip, Encoding.UTF8);
        return await text.ReadToEndAsync();
    }
}
