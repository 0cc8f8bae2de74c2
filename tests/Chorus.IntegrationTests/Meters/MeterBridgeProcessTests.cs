using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Meters;

/// <summary>
/// System.Diagnostics.Metrics instruments recorded through the bridge by real child processes
/// (<c>Chorus.TestChild meters</c>) into one directory: what survives a process's death, what goes with it,
/// and what Python's own collector reads from the same files.
/// </summary>
public sealed class MeterBridgeProcessTests : IDisposable
{
    private const string Requests = "child_requests_total";
    private const string Active = "child_active_requests";
    private const string Slot = "child_slot";
    private readonly TempDirectory _dir = new("meters");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task KilledProcess_CountersSurvive_ItsUpDownCounterAndGaugeVanish()
    {
        using ChildProcess first = StartChild(10);
        using ChildProcess second = StartChild(6);
        string secondSlot = second.WaitForLineStartingWith("slot ");
        first.WaitForLineStartingWith("recorded");
        second.WaitForLineStartingWith("recorded");

        Dictionary<string, double> running = await MergedAsync();
        Assert.Equal(16, SumOf(running, Requests));
        Assert.Equal(8, running[Requests + "{http_response_status_code=\"200\",http_route=\"/a\"}"]);
        Assert.Equal(2, running[Active + "{}"]);
        Assert.True(GaugePids(running).SequenceEqual(["0", "1"]), $"pids {string.Join(",", GaugePids(running))}");
        Assert.Equal(16, SumOf(running, "child_request_duration_seconds_count"));

        first.Kill();
        Assert.True(first.ExitsWithin(TimeSpan.FromSeconds(10)));

        // The compactor (chorus compact, or chorus serve --compact-every) drops the dead process's live gauges.
        ProcessResult compaction = (await ChorusCli.RunAsync("compact", "--dir", _dir.Path)).EnsureSuccess();
        Dictionary<string, double> afterDeath = await MergedAsync();
        string files = string.Join(" ", Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        Assert.Equal(16, SumOf(afterDeath, Requests));
        Assert.Equal(16, SumOf(afterDeath, "child_request_duration_seconds_count"));
        Assert.True(afterDeath[Active + "{}"] == 1, $"active {afterDeath[Active + "{}"]}; files: {files}; compact: {compaction.Stdout}");
        Assert.True(GaugePids(afterDeath).SequenceEqual([secondSlot]), $"pids {string.Join(",", GaugePids(afterDeath))}; files: {files}; compact: {compaction.Stdout}");

        // A new process takes the dead one's slot and adds to its counters; sums never went backwards.
        using ChildProcess third = StartChild(4);
        third.WaitForLineStartingWith("recorded");
        Dictionary<string, double> replaced = await MergedAsync();
        Assert.Equal(20, SumOf(replaced, Requests));
        Assert.Equal(2, replaced[Active + "{}"]);
        Assert.True(GaugePids(replaced).SequenceEqual(["0", "1"]), $"pids {string.Join(",", GaugePids(replaced))}");
    }

    [Fact]
    public async Task SlotReuse_AloneRemovesTheDeadOwnersLiveGauges()
    {
        using (ChildProcess first = StartChild(3))
        {
            first.WaitForLineStartingWith("recorded");
            first.Kill();
            Assert.True(first.ExitsWithin(TimeSpan.FromSeconds(10)));
        }

        using ChildProcess next = StartChild(2);
        next.WaitForLineStartingWith("recorded");
        Dictionary<string, double> merged = await MergedAsync();
        Assert.Equal(5, SumOf(merged, Requests));
        Assert.Equal(1, merged[Active + "{}"]);
        Assert.Equal(["0"], GaugePids(merged));
    }

    [Fact]
    public async Task PythonCollector_ReadsTheEightByteFiles_AndAgreesOnCountersAndHistograms()
    {
        var environment = new Dictionary<string, string?> { [ChorusOptions.ValueLayoutVariable] = "8" };
        using ChildProcess first = StartChild(7, environment);
        using ChildProcess second = StartChild(4, environment);
        first.WaitForLineStartingWith("recorded");
        second.WaitForLineStartingWith("recorded");
        first.WaitAfterClosingInput(TestChild.Timeout).EnsureSuccess();
        second.WaitAfterClosingInput(TestChild.Timeout).EnsureSuccess();

        Dictionary<string, double> chorus = await MergedAsync();
        Dictionary<string, double> python = Samples(await PythonPeer.CollectAsync(_dir.Path));
        string[] families = [Requests, "child_request_duration_seconds_bucket", "child_request_duration_seconds_count", "child_request_duration_seconds_sum"];
        Dictionary<string, double> Pick(Dictionary<string, double> all) =>
            all.Where(p => families.Any(f => p.Key.StartsWith(f + "{", StringComparison.Ordinal))).ToDictionary();
        Dictionary<string, double> expected = Pick(chorus);
        Assert.Equal(2 + (2 * 4) + 2 + 2, expected.Count);
        Assert.Equal(expected.OrderBy(p => p.Key), Pick(python).OrderBy(p => p.Key));
        Assert.Equal(11, SumOf(python, Requests));
    }

    private ChildProcess StartChild(int requests, IReadOnlyDictionary<string, string?>? environment = null) =>
        TestChild.Start(["meters", _dir.Path, requests.ToString(System.Globalization.CultureInfo.InvariantCulture)], environment);

    private async Task<Dictionary<string, double>> MergedAsync() =>
        Samples((await ChorusCli.ScrapeAsync(_dir.Path)).EnsureSuccess().Stdout);

    private static Dictionary<string, double> Samples(string exposition) =>
        ExpositionParser.Parse(exposition).SelectMany(f => f.Samples).ToDictionary(s => s.Key, s => s.Value);

    private static double SumOf(Dictionary<string, double> samples, string name) =>
        samples.Where(p => p.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(p => p.Value);

    private static List<string> GaugePids(Dictionary<string, double> samples) =>
        [.. samples.Keys.Where(k => k.StartsWith(Slot + "{", StringComparison.Ordinal))
            .Select(k => k[(k.IndexOf("pid=\"", StringComparison.Ordinal) + 5)..].Split('"')[0])
            .Order(StringComparer.Ordinal)];
}
