using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class MultiProcessWriterTests : IDisposable
{
    private const string ProgressKey = """["child_progress", "child_progress_total", {}, "Progress."]""";
    private readonly TempDirectory _dir = new("writer");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task KProcessesTimesTThreadsTimesM_MergeToExactTotals()
    {
        const int processes = 4, threads = 3, perThread = 20_000;
        var running = Enumerable.Range(0, processes)
            .Select(_ => Task.Run(() => TestChild.Run(["increment", _dir.Path, $"{threads}", $"{perThread}"])))
            .ToArray();
        foreach ((int exitCode, string stdout, string stderr) in await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(120)))
        {
            Assert.True(exitCode == 0, stdout + stderr);
            Assert.Contains($"done {threads * perThread}", stdout, StringComparison.Ordinal);
        }

        // Children that ran one after another reused slot 0 and continued its counters; overlapping ones got more slots.
        Assert.InRange(Directory.GetFiles(_dir.Path, "counter_*.db").Length, 1, processes);
        Assert.Equal(processes * threads * perThread, DirectoryValues.Sum(_dir.Path, "counter_*.db", """["child_ops", "child_ops_total", {}, "Operations."]"""));
        double labelled = DirectoryValues.Sum(_dir.Path, "counter_*.db", """["child_labelled_ops", "child_labelled_ops_total", {"thread": "0"}, "Labelled operations."]""")
            + DirectoryValues.Sum(_dir.Path, "counter_*.db", """["child_labelled_ops", "child_labelled_ops_total", {"thread": "1"}, "Labelled operations."]""");
        Assert.Equal(processes * threads * perThread, labelled);
        Assert.Equal(processes * threads * perThread, DirectoryValues.Merged(_dir.Path, "child_ops_total"));
        Assert.Equal(processes * threads * perThread, DirectoryValues.Merged(_dir.Path, "child_labelled_ops_total"));
        Assert.Equal(processes * threads * perThread, DirectoryValues.Merged(_dir.Path, "child_latency_seconds_count"));
        double buckets = Directory.GetFiles(_dir.Path, "histogram_*.db")
            .SelectMany(DirectoryValues.Read)
            .Where(e => e.Key.Contains("_bucket", StringComparison.Ordinal))
            .Sum(e => e.Value);
        Assert.Equal(processes * threads * perThread, buckets);
    }

    [Fact]
    public void KilledChildren_MergedCounterCoversConfirmedCounts_AndNeverDecreases()
    {
        var children = Enumerable.Range(0, 3).Select(_ => TestChild.Start(["progress", _dir.Path, "500"])).ToList();
        try
        {
            foreach (ChildProcess child in children)
            {
                child.WaitForLineStartingWith("confirmed");
            }

            double previous = 0;
            var confirmed = new long[children.Count];
            for (int round = 0; round < children.Count; round++)
            {
                for (int scrape = 0; scrape < 5; scrape++)
                {
                    double now = DirectoryValues.Merged(_dir.Path, "child_progress_total");
                    Assert.True(now >= previous, $"merged counter went from {previous} to {now}");
                    previous = now;
                    Thread.Sleep(20);
                }

                children[round].Kill();
                string? last = children[round].LastLine;
                confirmed[round] = last is not null && last.StartsWith("confirmed ", StringComparison.Ordinal)
                    ? long.Parse(last["confirmed ".Length..], CultureInfo.InvariantCulture)
                    : 0;
                Assert.True(confirmed[round] > 0);
            }

            double final = DirectoryValues.Merged(_dir.Path, "child_progress_total");
            Assert.Equal(DirectoryValues.Sum(_dir.Path, "counter_*.db", ProgressKey), final);
            Assert.True(final >= previous);
            Assert.True(final >= confirmed.Sum(), $"merged {final} < confirmed {confirmed.Sum()}");
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void NewProcessTakingDeadSlot_DropsDeadLiveGauges_AndContinuesCounters()
    {
        string slot;
        using (var dead = TestChild.Start(["hold", _dir.Path, "livesum", "5"]))
        {
            slot = dead.WaitForLineStartingWith("slot");
            dead.WaitForLineStartingWith("ready");
            Assert.Equal(5, DirectoryValues.Sum(_dir.Path, "gauge_livesum_*.db", """["child_held", "child_held", {}, "Held."]"""));
            dead.Kill();
        }

        using var next = TestChild.Start(["hold", _dir.Path, "livesum", "2"]);
        Assert.Equal(slot, next.WaitForLineStartingWith("slot"));
        next.WaitForLineStartingWith("ready");
        Assert.Equal(2, DirectoryValues.Sum(_dir.Path, "gauge_livesum_*.db", """["child_held", "child_held", {}, "Held."]"""));
        Assert.Equal(7, DirectoryValues.Sum(_dir.Path, "counter_*.db", """["child_held_ops", "child_held_ops_total", {}, "Ops."]"""));
        Assert.Equal(0, next.WaitAfterClosingInput(TimeSpan.FromSeconds(20)).ExitCode);
    }

    [Fact]
    public void RemovedSeries_StaysRemovedAfterCompactionFoldsTheDeadSlot()
    {
        (int exit, string stdout, string stderr) = TestChild.Run(["remove", _dir.Path]);
        Assert.True(exit == 0, stdout + stderr);

        Chorus.Compaction.CompactionReport report = Chorus.Compaction.Compactor.Run(_dir.Path);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "counter_0.db")), string.Join("; ", report.Files.Select(f => $"{f.FileName} {f.Disposition} {f.Reason}")));
        using Chorus.Aggregation.MultiProcessDirectory reader = Chorus.Aggregation.MultiProcessDirectory.Open(_dir.Path);
        Chorus.Exposition.MetricFamily family = reader.CollectFamilies().Single(f => f.Name == "child_removal");
        Assert.Equal(["child_removal_total{k=\"y\"} = 1"], family.Samples.Select(s => $"{s.Name}{s.Labels} = {s.Value}"));
    }

    [Fact]
    public void LiveProcesses_GetDistinctSlots()
    {
        using var a = TestChild.Start(["slot", _dir.Path]);
        using var b = TestChild.Start(["slot", _dir.Path]);
        string slotA = a.WaitForLineStartingWith("slot");
        string slotB = b.WaitForLineStartingWith("slot");
        Assert.NotEqual(slotA, slotB);
        Assert.Equal(["0", "1"], new[] { slotA, slotB }.Order());
    }

    [Fact]
    public void TwoProcessesWithSameCustomIdentity_SecondIsRefused()
    {
        var env = new Dictionary<string, string?> { ["CHORUS_IDENTITY"] = "web-1" };
        using var first = TestChild.Start(["slot", _dir.Path], env);
        Assert.Equal("web-1", first.WaitForLineStartingWith("slot"));
        (int exit, string stdout, _) = TestChild.Run(["slot", _dir.Path], env);
        Assert.Equal(1, exit);
        Assert.Contains("Another live process already writes", stdout, StringComparison.Ordinal);
        Assert.Equal(0, first.WaitAfterClosingInput(TimeSpan.FromSeconds(20)).ExitCode);
    }

    [Fact]
    public void ReaderNeverSeesTornEntries_WhileWriterGrowsFile()
    {
        const int series = 3000;
        using var writer = TestChild.Start(["grow", _dir.Path, $"{series}"]);
        string path = Path.Combine(_dir.Path, "counter_0.db");
        int scans = 0, lastCount = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30) && writer.LastLine != "done")
        {
            if (File.Exists(path))
            {
                // As prometheus_client reads: the header, then exactly `used` bytes. A file exists only once it
                // is sized and has its header (it is renamed into place), and it grows before `used` does.
                byte[] data = ReadUsedBytes(path);
                int entries = ReferenceDbFile.Read(data, 16).Count;
                Assert.True(entries >= lastCount);
                lastCount = entries;
                scans++;
            }
        }

        writer.WaitForLineStartingWith("done");
        Assert.Equal(series, DirectoryValues.Read(path).Count);
        Assert.True(new FileInfo(path).Length >= 1 << 20, "the file should have grown several times");
        Assert.True(scans > 0);
    }

    [Fact]
    public void KeyBytes_EqualPythonJsonDumps_ForRandomUnicode()
    {
        string manifest = Path.Combine(_dir.Path, "manifest.json");
        var env = new Dictionary<string, string?> { ["CHORUS_VALUE_LAYOUT"] = "8" };
        for (int seed = 1; seed <= 3; seed++)
        {
            foreach (string f in Directory.GetFiles(_dir.Path))
            {
                File.Delete(f);
            }

            (int exit, string stdout, string stderr) = TestChild.Run(["keys", _dir.Path, $"{seed}", "150", manifest], env);
            Assert.True(exit == 0, stdout + stderr);
            (int pyExit, string pyOut, string pyErr) = PythonPeer.RunScript("writer_check_keys.py", Path.Combine(_dir.Path, "gauge_max_0.db"), manifest);
            Assert.True(pyExit == 0, $"seed {seed}: {pyOut}{pyErr}");
            Assert.Equal("ok 150", pyOut.Trim());
        }
    }

    [Fact]
    public void DiskFull_OnRealSmallFileSystem_ProcessKeepsRunning()
    {
        string mount = Path.Combine(_dir.Path, "small");
        Directory.CreateDirectory(mount);
        ProcessResult mounting = ChildProcess.Run("mount", ["-t", "tmpfs", "-o", "size=96k", "tmpfs", mount], TimeSpan.FromSeconds(10));
        // No silent pass: without a small file system to fill, this test has nothing to show (the suite runs as root).
        Assert.True(mounting.ExitCode == 0, "could not mount a 96 KiB tmpfs to fill (needs root): " + mounting.Describe());
        try
        {
            (int exit, string stdout, string stderr) = TestChild.Run(["grow", mount, "3000"]);
            Assert.True(exit == 0, stdout + stderr);
            Assert.Contains("done", stdout, StringComparison.Ordinal);
            Assert.Contains("note cannot extend", stdout, StringComparison.Ordinal);
        }
        finally
        {
            ChildProcess.Run("umount", [mount], TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void DiskFull_PartWayThroughAHistogramChild_LeavesReadersEveryChildWholeOrNone()
    {
        using SmallTmpfs small = SmallTmpfs.Mount(Path.Combine(_dir.Path, "small-histograms"), "200k");
        (int exit, string stdout, string stderr) = TestChild.Run(["grow-histograms", small.Path, "400"]);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("note cannot extend", stdout, StringComparison.Ordinal);

        using MultiProcessDirectory reader = MultiProcessDirectory.Open(small.Path);
        var children = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (MetricFamily family in reader.CollectFamilies())
        {
            foreach (Sample sample in family.Samples)
            {
                string child = sample.Labels.Find("k")!;
                string part = sample.Name + (sample.Labels.Find("le") is { } le ? "{le=" + le + "}" : "");
                (children.TryGetValue(child, out Dictionary<string, double>? parts) ? parts : children[child] = new(StringComparer.Ordinal))[part] = sample.Value;
            }
        }

        // Some children were written to the file and some, once it could not grow, kept in memory (invisible to readers):
        // every child a reader sees has its _sum, _count and every bucket, with its one observation in each.
        Assert.InRange(children.Count, 1, 399);
        foreach ((string child, Dictionary<string, double> parts) in children)
        {
            double observed = double.Parse(child.TrimStart('p'), System.Globalization.CultureInfo.InvariantCulture) + 0.5;
            Assert.True(parts.Count == Histogram.DefaultBuckets.Count + 2, $"child {child.TrimStart('p')}: {string.Join(", ", parts.Keys)}");
            Assert.Equal(observed, parts["child_latency_sum"]);
            Assert.Equal(1.0, parts["child_latency_count"]);
            Assert.Equal(1.0, parts["child_latency_bucket{le=+Inf}"]);
        }
    }

    private static byte[] ReadUsedBytes(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        byte[] header = new byte[ReferenceDbFile.HeaderSize];
        stream.ReadExactly(header);
        int used = BinaryPrimitives.ReadInt32LittleEndian(header);
        byte[] data = new byte[used];
        header.CopyTo(data, 0);
        stream.ReadExactly(data, header.Length, used - header.Length);
        return data;
    }
}
