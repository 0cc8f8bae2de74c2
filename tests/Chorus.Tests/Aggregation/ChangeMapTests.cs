using System.Buffers.Binary;
using Chorus.Aggregation;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// Change maps (docs/change-map.md): a Chorus writer's <c>X.db.changes</c> tells a warm reader which regions of its file
/// may have changed. Every test compares a warm reader with a fresh one, which reads every value: a change the warm
/// reader skips shows up as a difference.
/// </summary>
public sealed class ChangeMapTests : IDisposable
{
    private const string Help = "Help.";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private MetricRegistry OpenWriter() =>
        Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path, ValueLayout = ValueLayout.ValueAndTimestamp16 });

    /// <summary>A reader past its first three collections: its files kept open and their maps taken (all words marked).</summary>
    private MultiProcessDirectory WarmReader()
    {
        MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path);
        for (int i = 0; i < 3; i++)
        {
            _ = DirectoryFixture.Text(reader);
        }

        return reader;
    }

    private string Fresh()
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(_dir.Path);
        return DirectoryFixture.Text(fresh);
    }

    private static void AssertSameSamples(string expected, string actual)
    {
        // The self-metrics at the end differ between readers (their own counts and times).
        static string Data(string text) => string.Join('\n', text.Split('\n').Where(l => !l.Contains("chorus_", StringComparison.Ordinal)));
        Assert.Equal(Data(expected), Data(actual));
    }

    [Fact]
    public void Writer_KeepsALockedMapWithAnOwner_AndLetsGoWhenDisposed()
    {
        string map;
        using (MetricRegistry writer = OpenWriter())
        {
            writer.CreateCounter("c", Help).Inc();
            map = ChangeMapFormat.PathFor(_dir.File("counter_0.db"));
            byte[] header = new byte[ChangeMapFormat.HeaderSize];
            using (Microsoft.Win32.SafeHandles.SafeFileHandle handle = ReadOnlyOpen.Open(map))
            {
                // Not a FileStream: .NET's shared flock on open would fail against the writer's exclusive one.
                Assert.Equal(header.Length, RandomAccess.Read(handle, header, 0));
                Assert.Equal(ChangeMapFormat.FileLength, RandomAccess.GetLength(handle));
            }

            Assert.True(ChangeMapFormat.IsValidHeader(header));
            Assert.NotEqual(0, BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(ChangeMapFormat.OwnerOffset)));
            Assert.True(FileLock.IsHeldExclusively(map));
        }

        Assert.False(FileLock.IsHeldExclusively(map));
    }

    [Fact]
    public unsafe void ValueCell_BumpsAWordOnlyWhenAReaderMarkedItSeen()
    {
        double* value = stackalloc double[2];
        long* word = stackalloc long[1];
        var cell = new Chorus.Storage.ValueCell(value, word);

        *word = 4;
        cell.Add(1);
        cell.Set(2);
        Assert.Equal(4, *word);

        *word = 5;
        cell.Add(1);
        Assert.Equal(6, *word);
        *word = 7;
        cell.Set(3, 100);
        Assert.Equal(8, *word);
        *word = 9;
        cell.RaiseTo(10);
        Assert.Equal(10, *word);
        Assert.Equal(10, cell.Value);
        Assert.Equal(100, value[1]);
    }

    [Fact]
    public unsafe void TheReader_KeepsHalfOfEachWord_AndFindsEveryRegionWhoseWordMoved()
    {
        // 43 regions: five blocks of eight compared at once, and three one by one.
        const int Regions = 43;
        using MetricRegistry writer = OpenWriter();
        writer.CreateCounter("c", Help).Inc();
        string db = _dir.File("counter_0.db");
        using ChangeMapWatch watch = ChangeMapWatch.TryOpen(db)!;
        int fd = Libc.Open(ChangeMapFormat.PathFor(db), LinuxOpenFlags.ReadWrite | LinuxOpenFlags.CloseOnExec, 0);
        Assert.True(fd >= 0);
        byte* mapped = ChangeMapMapping.TryMap(fd);
        Assert.True(mapped != null);
        long* words = (long*)(mapped + ChangeMapFormat.HeaderSize);
        try
        {
            Assert.True(watch.TryBegin(Regions));
            Assert.Equal(Regions * sizeof(uint), watch.SeenBytes);

            // Never seen: a region is read whatever its word holds (0 here, as an unknown region is remembered).
            Assert.Equal(0, watch.NextChanged(0, Regions));
            MarkAll();
            Assert.Equal(Regions, watch.NextChanged(0, Regions));

            // Words bumped (one past the mark, or past 2^32 with another low half): each region is found in turn.
            int[] moved = [0, 7, 8, 20, 39, 40, 42];
            foreach (int region in moved)
            {
                words[region] = region % 2 == 0 ? words[region] + 1 : (1L << 32) + 6;
            }

            int at = 0;
            foreach (int region in moved)
            {
                at = watch.NextChanged(at, Regions);
                Assert.Equal(region, at);
                watch.MarkSeen(at);
                at++;
            }

            Assert.Equal(Regions, watch.NextChanged(0, Regions));

            // A new owner number: every region is unknown again.
            *(long*)(mapped + ChangeMapFormat.OwnerOffset) += 1;
            Assert.True(watch.TryBegin(Regions));
            Assert.Equal(0, watch.NextChanged(0, Regions));
        }
        finally
        {
            ChangeMapMapping.Unmap(mapped);
            _ = Libc.Close(fd);
        }

        void MarkAll()
        {
            for (int region = 0; region < Regions; region++)
            {
                watch.MarkSeen(region);
            }
        }
    }

    [Fact]
    public void WarmReader_SeesEveryChangeThroughTheMaps_AndReadsOnlyChangedRegions()
    {
        using MetricRegistry writer = OpenWriter();
        Counter counter = writer.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
        Gauge gauge = writer.CreateGauge("temperature", Help, new GaugeConfiguration { LabelNames = ["room"], Mode = GaugeMode.MostRecent });
        Histogram histogram = writer.CreateHistogram("latency", Help, new HistogramConfiguration { LabelNames = ["route"] });
        for (int i = 0; i < 400; i++)
        {
            counter.WithLabels($"/r{i}").Inc(i);
            gauge.WithLabels($"room{i}").Set(i);
            histogram.WithLabels($"/r{i}").Observe(i / 100.0);
        }

        using MultiProcessDirectory warm = WarmReader();
        var random = new Random(11);
        for (int round = 0; round < 25; round++)
        {
            for (int change = 0; change < random.Next(1, 40); change++)
            {
                int i = random.Next(400);
                switch (random.Next(3))
                {
                    case 0: counter.WithLabels($"/r{i}").Inc(random.Next(1, 5)); break;
                    case 1: gauge.WithLabels($"room{i}").Set(random.NextDouble()); break;
                    default: histogram.WithLabels($"/r{i}").Observe(random.NextDouble() * 10); break;
                }
            }

            if (round % 8 == 7)
            {
                // New series: the files grow past the regions the reader has words for.
                counter.WithLabels($"/new{round}").Inc();
            }

            AssertSameSamples(Fresh(), DirectoryFixture.Text(warm));
        }

        // A value changed behind the writer's back (no word bumped) in a region nobody touched: a reader that trusts the
        // map does not read it, which is how it skips unchanged regions. (Only a writer that does not follow the protocol
        // while a Chorus writer holds the map could do this; see ForeignWrite_AfterTheWriterEnds_IsSeen.)
        WriteBehindTheWriter(_dir.File("counter_0.db"), """["requests", "requests_total", {"route": "/r399"}, "Help."]""", 12345);
        Assert.Contains("requests_total{route=\"/r399\"} 12345", Fresh());
        Assert.DoesNotContain("requests_total{route=\"/r399\"} 12345", DirectoryFixture.Text(warm));
    }

    [Fact]
    public async Task ServersReader_TakesTheMapsInItsCollectionAtStart_SoTheFirstScrapeReadsOnlyChangedRegions()
    {
        using MetricRegistry writer = OpenWriter();
        Counter counter = writer.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
        for (int i = 0; i < 400; i++)
        {
            counter.WithLabels($"/r{i}").Inc(i);
        }

        using MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path, MultiProcessDirectoryOptions.Default.ForServer());
        await reader.CollectionAtStart.WaitAsync(TimeSpan.FromSeconds(30));
        counter.WithLabels("/r0").Inc(1000);

        // As in WarmReader_SeesEveryChangeThroughTheMaps_AndReadsOnlyChangedRegions: a value changed behind the writer's
        // back is read only by a refresh that reads every value, which the first scrape after taking the maps is not.
        WriteBehindTheWriter(_dir.File("counter_0.db"), """["requests", "requests_total", {"route": "/r399"}, "Help."]""", 12345);
        string first = DirectoryFixture.Text(reader);

        Assert.Contains("requests_total{route=\"/r0\"} 1000.0", first);
        Assert.DoesNotContain("requests_total{route=\"/r399\"} 12345", first);
    }

    [Fact]
    public void ForeignWrite_AfterTheWriterEnds_IsSeen()
    {
        string path = _dir.File("counter_0.db");
        MetricRegistry writer = OpenWriter();
        Counter counter = writer.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
        for (int i = 0; i < 200; i++)
        {
            counter.WithLabels($"/r{i}").Inc();
        }

        using MultiProcessDirectory warm = WarmReader();
        counter.WithLabels("/r5").Inc();
        AssertSameSamples(Fresh(), DirectoryFixture.Text(warm));

        // The Chorus writer ends; a prometheus_client process reusing the file (pid mode) writes without a map.
        writer.Dispose();
        WriteBehindTheWriter(path, """["requests", "requests_total", {"route": "/r150"}, "Help."]""", 777);
        string seen = DirectoryFixture.Text(warm);
        Assert.Contains("requests_total{route=\"/r150\"} 777", seen);
        AssertSameSamples(Fresh(), seen);
    }

    [Fact]
    public void ForeignWrite_BetweenTwoChorusWriters_IsSeenThroughTheNewOwnerNumber()
    {
        string path = _dir.File("counter_0.db");
        using (MetricRegistry first = OpenWriter())
        {
            Counter counter = first.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
            for (int i = 0; i < 200; i++)
            {
                counter.WithLabels($"/r{i}").Inc();
            }
        }

        using MetricRegistry owner = OpenWriter();
        owner.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] }).WithLabels("/r1").Inc();
        using MultiProcessDirectory warm = WarmReader();

        // The writer leaves; between two scrapes someone writes without the map, then a new Chorus writer takes the slot
        // (its lock held again by the time the reader looks): only the new owner number tells the reader.
        owner.Dispose();
        WriteBehindTheWriter(path, """["requests", "requests_total", {"route": "/r150"}, "Help."]""", 555);
        using MetricRegistry next = OpenWriter();
        next.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] }).WithLabels("/r2").Inc();
        Assert.Equal("0", next.Identity);

        string seen = DirectoryFixture.Text(warm);
        Assert.Contains("requests_total{route=\"/r150\"} 555", seen);
        AssertSameSamples(Fresh(), seen);
    }

    [Fact]
    public void AMapCreatedForAFileKeptWithoutOne_IsTakenByTheNextScrape()
    {
        string path = _dir.File("counter_0.db");
        using (MetricRegistry first = OpenWriter())
        {
            Counter counter = first.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
            for (int i = 0; i < 200; i++)
            {
                counter.WithLabels($"/r{i}").Inc();
            }
        }

        // Kept by the warm reader while it has no map, as a file a prometheus_client process wrote.
        File.Delete(ChangeMapFormat.PathFor(path));
        using MultiProcessDirectory warm = WarmReader();

        // A Chorus writer takes the file over and creates its map: the directory watch sees the sidecar's name, so the
        // next scrape looks for the map at once (not some seconds later) and reads only the regions it marks. A value
        // changed behind the writer's back elsewhere is therefore not read, which shows the map was taken.
        using MetricRegistry next = OpenWriter();
        next.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] }).WithLabels("/r2").Inc();
        Assert.Equal("0", next.Identity);
        Assert.True(File.Exists(ChangeMapFormat.PathFor(path)));
        _ = DirectoryFixture.Text(warm);

        next.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] }).WithLabels("/r3").Inc(10);
        WriteBehindTheWriter(path, """["requests", "requests_total", {"route": "/r150"}, "Help."]""", 555);
        string seen = DirectoryFixture.Text(warm);
        Assert.Contains("requests_total{route=\"/r3\"} 11.0", seen);
        Assert.DoesNotContain("requests_total{route=\"/r150\"} 555", seen);
    }

    [Fact]
    public void TwoReaders_EachSeeEveryChange()
    {
        using MetricRegistry writer = OpenWriter();
        Counter counter = writer.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
        for (int i = 0; i < 200; i++)
        {
            counter.WithLabels($"/r{i}").Inc();
        }

        using MultiProcessDirectory a = WarmReader();
        using MultiProcessDirectory b = WarmReader();
        for (int round = 0; round < 6; round++)
        {
            counter.WithLabels($"/r{round * 30}").Inc(round + 1);
            string expected = Fresh();

            // Either reader first: the one that marks the word must not take the change from the other.
            MultiProcessDirectory first = round % 2 == 0 ? a : b;
            MultiProcessDirectory second = round % 2 == 0 ? b : a;
            AssertSameSamples(expected, DirectoryFixture.Text(first));
            AssertSameSamples(expected, DirectoryFixture.Text(second));
        }
    }

    [Fact]
    public void ThreadsRecordingWhileTheReaderScrapes_AreAllSeenOnceTheyStop()
    {
        using MetricRegistry writer = OpenWriter();
        Counter counter = writer.CreateCounter("requests", Help, new CounterConfiguration { LabelNames = ["route"] });
        Gauge gauge = writer.CreateGauge("level", Help, new GaugeConfiguration { LabelNames = ["n"], Mode = GaugeMode.LiveSum });
        for (int i = 0; i < 300; i++)
        {
            counter.WithLabels($"/r{i}").Inc();
            gauge.WithLabels($"{i}").Set(i);
        }

        using MultiProcessDirectory warm = WarmReader();
        bool stop = false;
        long recorded = 0;

        // Threads of their own: pool threads may not start before the scrapes end on a loaded 2-core machine.
        Thread[] recorders = [.. Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            while (!Volatile.Read(ref stop))
            {
                int i = random.Next(300);
                counter.WithLabels($"/r{i}").Inc();
                gauge.WithLabels($"{i}").Set(random.Next(1000));
                Interlocked.Increment(ref recorded);
            }
        }))];
        foreach (Thread recorder in recorders)
        {
            recorder.Start();
        }

        for (int scrape = 0; scrape < 40 || Interlocked.Read(ref recorded) < 50_000; scrape++)
        {
            _ = DirectoryFixture.Text(warm);
        }

        Volatile.Write(ref stop, true);
        foreach (Thread recorder in recorders)
        {
            recorder.Join();
        }

        AssertSameSamples(Fresh(), DirectoryFixture.Text(warm));
    }

    [Fact]
    public void Compaction_DeletesMapsWhoseFileIsGone_AndKeepsHeldOnes()
    {
        string orphan = ChangeMapFormat.PathFor(_dir.File("counter_77.db"));
        File.WriteAllBytes(orphan, new byte[ChangeMapFormat.HeaderSize]);
        using MetricRegistry writer = OpenWriter();
        writer.CreateCounter("c", Help).Inc();
        string held = ChangeMapFormat.PathFor(_dir.File("counter_0.db"));

        // A live writer's map whose .db file is gone (renamed away under it) stays: the writer holds its lock.
        File.Move(_dir.File("counter_0.db"), _dir.File("counter_0.db.elsewhere"));
        _ = Chorus.Compaction.Compactor.Run(_dir.Path, new Chorus.Compaction.CompactionOptions { FlushToDisk = false, ClaimSettleTime = TimeSpan.Zero });

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(held));
    }

    /// <summary>Writes <paramref name="value"/> into the entry of <paramref name="key"/> through the file, bumping no word.</summary>
    private static void WriteBehindTheWriter(string path, string key, double value)
    {
        byte[] data = File.ReadAllBytes(path);
        var reader = new DbEntryReader(data, ValueLayout.ValueAndTimestamp16, DbFormat.ReadUsed(data));
        while (reader.TryReadNext(out DbEntry entry))
        {
            if (System.Text.Encoding.UTF8.GetString(data, entry.KeyOffset, entry.KeyLength) == key)
            {
                using FileStream stream = new(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                stream.Position = entry.ValueOffset;
                stream.Write(BitConverter.GetBytes(value));
                return;
            }
        }

        throw new InvalidOperationException($"No entry {key} in {path}.");
    }
}
