using Chorus.Aggregation;
using Chorus.Compaction;
using FsCheck.Xunit;

using static Chorus.Tests.Aggregation.RandomDbFiles;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A file no process can write any more is frozen (not read again) until the directory watch reports something
/// happening to it. Whatever happens to the files, the very next scrape of a warm reader must be a fresh reader's.
/// </summary>
public class FrozenFilesTests
{
    // Short, so a test can make the directory's last change count as settled with a brief pause.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);
    // PIDs above any this machine hands out (pid_max is at most 2^22), so the compactor judges them by their files alone.
    private const int FakePids = 4_200_000;

    /// <summary>Whether the readers probe files for freezing after each response, on the thread pool (a server's readers do).</summary>
    protected virtual bool ProbeAfterCollection => false;

    /// <summary>How long a listing of every name vouches for the directory (the readers' <see cref="MultiProcessDirectoryOptions.ListingReuseLimit"/>).</summary>
    protected virtual TimeSpan ListingReuseLimit => MultiProcessDirectoryOptions.Default.ListingReuseLimit;
    private static readonly CompactionOptions s_compaction = new() { FlushToDisk = false, ClaimSettleTime = TimeSpan.Zero };

    [Fact]
    public void DeadFiles_AreFrozenAndStillCounted()
    {
        using var dir = new TempDirectory();
        Counter(1.0).WriteTo(dir.File("counter_3900001.db"));
        Counter(2.0).WriteTo(dir.File("counter_3900002.db"));
        using MultiProcessDirectory reader = Open(dir.Path);

        Freeze(reader, 2);
        Assert.Contains("c_total 3.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
        Assert.Equal(2, reader.LastReport.FilesRead);
        Assert.Equal(2, reader.LastReport.EntriesMerged);
        Assert.Equal(0, reader.Diagnostics.LastFamiliesMerged);
    }

    [Fact]
    public void DeadFilesWithARemovalList_AreFrozen_AndAChangedListThawsThem()
    {
        using var dir = new TempDirectory();
        string removing = Counter(1.0).Add("c", "c_total", 5.0, labels: ("k", "x")).WriteTo(dir.File("counter_3900001.db"));
        Counter(2.0).Add("c", "c_total", 7.0, labels: ("k", "x")).WriteTo(dir.File("counter_3900002.db"));
        Chorus.Files.DbRemovedKeys.Write(removing, [ReferenceDbKey.Bytes("c", "c_total", [("k", "x")], "help")]);
        using MultiProcessDirectory reader = Open(dir.Path);

        Freeze(reader, 2);
        Assert.Contains("c_total{k=\"x\"} 7.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);

        File.Delete(Chorus.Files.DbRemovedKeys.PathFor(removing));
        Assert.Contains("c_total{k=\"x\"} 12.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);

        Freeze(reader, 2);
        Chorus.Files.DbRemovedKeys.Write(removing, [ReferenceDbKey.Bytes("c", "c_total", [], "help")]);
        string text = DirectoryFixture.Text(reader);
        Assert.Contains("c_total 2.0", text, StringComparison.Ordinal);
        Assert.Contains("c_total{k=\"x\"} 12.0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void FilesWithAnotherName_AreNeverFrozen()
    {
        // Opening a file through its other name raises events in that name's directory only.
        using var dir = new TempDirectory();
        using var elsewhere = new TempDirectory();
        string target = Counter(1.0).WriteTo(elsewhere.File("counter_1.db"));
        File.CreateSymbolicLink(dir.File("counter_4200001.db"), target);
        string linked = Counter(2.0).WriteTo(elsewhere.File("counter_2.db"));
        Assert.True(Chorus.Internal.NativeFile.TryLink(linked, dir.File("counter_4200002.db")));
        Counter(4.0).WriteTo(dir.File("counter_4200003.db"));
        using MultiProcessDirectory reader = Open(dir.Path);
        Freeze(reader, 1);

        MappedTestWriter.WriteOnce(target, Counter(10.0).Build());
        MappedTestWriter.WriteOnce(linked, Counter(20.0).Build());
        Assert.Contains("c_total 34.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16384)]
    [InlineData(0)]
    public void FrozenFile_ChangedInAnyWay_IsSeenByTheNextScrape(int maxKeptFiles)
    {
        using var dir = new TempDirectory();
        string path = Counter(1.0).WriteTo(dir.File("counter_3900001.db"));
        Counter(2.0).WriteTo(dir.File("counter_3900002.db"));
        using MultiProcessDirectory reader = Open(dir.Path, maxKeptFiles);
        Freeze(reader, 2);

        // A process that reused the dead writer's PID opens its file, writes through a mapping (no write call) and
        // exits, all between two scrapes.
        MappedTestWriter.WriteOnce(path, Counter(5.0).Build());
        Assert.Contains("c_total 7.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);

        // Frozen again, then a writer that stays: each of its writes is seen, and its file is not frozen while it lives.
        Freeze(reader, 2);
        using (var writer = new MappedTestWriter(path))
        {
            for (int value = 10; value < 14; value++)
            {
                writer.Write(Counter(value).Build());
                Assert.Contains($"c_total {value + 2}.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
            }

            Assert.Equal(1, reader.Diagnostics.FrozenFileCount);

            // Quiet for a few scrapes (so the file is probed: the writer's open descriptor refuses the lease), then a write.
            for (int i = 0; i < 3; i++)
            {
                DirectoryFixture.Text(reader);
            }

            Assert.Equal(1, reader.Diagnostics.FrozenFileCount);
            writer.Write(Counter(15.0).Build());
            Assert.Contains("c_total 17.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
        }

        // Truncated and written again with another entry.
        Freeze(reader, 2);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(0);
            stream.Write(Counter(20.0).Add("d", "d_total", 4.0).Build());
        }

        Assert.Contains("c_total 22.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);

        // Replaced by a rename, as a compaction does.
        Freeze(reader, 2);
        File.WriteAllBytes(dir.File("next.tmp"), Counter(30.0).Build());
        File.Move(dir.File("next.tmp"), path, overwrite: true);
        Assert.Contains("c_total 32.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);

        // Folded into an archive by a compaction.
        Freeze(reader, 2);
        Compactor.Run(dir.Path, s_compaction);
        Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(reader));
        Assert.Contains("c_total 32.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
    }

    [Fact]
    public void KeptBudgetFull_AFrozenFileGivesUpItsPlace_AndEveryWriteIsStillSeen()
    {
        using var dir = new TempDirectory();
        string[] dead = [.. Enumerable.Range(1, 3).Select(i => Counter(i).WriteTo(dir.File($"counter_{3900000 + i}.db")))];
        using MultiProcessDirectory reader = Open(dir.Path, maxKeptFiles: 2);
        Freeze(reader, 3);
        Assert.Equal(2, reader.LastReport.FilesKeptOpen);

        // A worker starts while the budget is full: its file is kept from its first read, in a frozen file's place, so
        // its later writes are read from the mapping (no bytes read) and each is seen.
        string live = Counter(10.0).WriteTo(dir.File("counter_3900009.db"));
        using (var writer = new MappedTestWriter(live))
        {
            Assert.Contains("c_total 16.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
            Assert.Equal(2, reader.LastReport.FilesKeptOpen);
            for (int value = 11; value < 14; value++)
            {
                writer.Write(Counter(value).Build());
                Assert.Contains($"c_total {value + 6}.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
                Assert.Equal(0, reader.LastReport.BytesRead);
            }

            Assert.Equal(3, reader.Diagnostics.FrozenFileCount);

            // Every dead file written again by a process that came and went (the one that gave up its place included).
            for (int i = 0; i < dead.Length; i++)
            {
                MappedTestWriter.WriteOnce(dead[i], Counter(100.0 * (i + 1)).Build());
            }

            Assert.Contains("c_total 613.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
        }

        Freeze(reader, 4);
        Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(reader));
    }

    [Property(MaxTest = 20)]
    public bool RandomLifecycles_KeepFreezingReadersEqualToAFreshOne(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);
        int nextId = 1;
        for (int i = 0; i < 5; i++)
        {
            AddFile(dir, files, random, FakePids + nextId++);
        }

        Thread.Sleep(Settle * 2);
        using var mirror = new TempDirectory();
        using MultiProcessDirectory kept = Open(dir.Path, splitMerge: true);
        using MultiProcessDirectory unkept = Open(dir.Path, maxKeptFiles: 0);
        bool froze = false;
        try
        {
            for (int step = 0; step < 16; step++)
            {
                // A fresh reader of the same directory would open every file, and any open thaws a file: it reads a
                // copy of what the files hold instead, so a frozen file is thawed only by what the step did to it.
                string expected = Fresh(Mirror(dir, mirror, files));
                if (DirectoryFixture.Text(kept) != expected || DirectoryFixture.Text(unkept) != expected)
                {
                    return false;
                }

                froze |= kept.Diagnostics.FrozenFileCount > 0 && unkept.Diagnostics.FrozenFileCount > 0;
                if (Change(dir, files, writers, random, ref nextId))
                {
                    Thread.Sleep(Settle * 2);
                }
            }
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }

        // The test means nothing unless files were frozen along the way.
        return froze;
    }

    [Fact]
    public void LiveFraction_RankedBeforeFrozenWholeCounts_IsFoldedInFileOrder()
    {
        // The frozen whole counts add up exactly, so the reader keeps their sum; but a live 0.5 ranked before them makes
        // the file-order fold round differently: 0.5 + (2^52 + 1) rounds to 2^52 + 2 (ties to even), + 1 = 2^52 + 3,
        // whereas (2^52 + 1) + 1 + 0.5 = 2^52 + 2.
        using var dir = new TempDirectory();
        string live = Counter(0.0).WriteTo(dir.File("counter_4200001.db"));
        Counter(4503599627370497.0).WriteTo(dir.File("counter_4200002.db"));
        Counter(1.0).WriteTo(dir.File("counter_4200003.db"));
        using MultiProcessDirectory reader = Open(dir.Path);
        using var writer = new MappedTestWriter(live);
        Freeze(reader, 2);

        foreach (double value in new[] { 1.5, 0.25, 0.5 })
        {
            writer.Write(Counter(value).Build());
            string warm = DirectoryFixture.Text(reader);
            Assert.Equal(1, reader.Diagnostics.LastFamiliesMerged);
            Assert.Equal(2, reader.Diagnostics.FrozenFileCount);
            Assert.Equal(Fresh(dir.Path), warm);
        }

        Assert.Contains("c_total 4.503599627370499e+15", DirectoryFixture.Text(reader), StringComparison.Ordinal);
    }

    [Fact]
    public void FrozenFractionsBeforeALiveFile_FoldInFileOrder_AlsoAfterADeadFileJoinsThem()
    {
        // 0.1 is an exact run on its own, 0.2 ends it and is kept one by one: the frozen fold before the live file (the
        // run, then 0.2) is known before the live value comes, and must take in 0.05 once that dead file freezes.
        using var dir = new TempDirectory();
        Counter(0.1).WriteTo(dir.File("counter_4200001.db"));
        Counter(0.2).WriteTo(dir.File("counter_4200003.db"));
        string live = Counter(0.0).WriteTo(dir.File("counter_4200005.db"));
        Counter(0.7).WriteTo(dir.File("counter_4200007.db"));
        using MultiProcessDirectory reader = Open(dir.Path);
        using var writer = new MappedTestWriter(live);
        Freeze(reader, 3);

        foreach (double value in new[] { 0.3, 1e-3, 0.6 })
        {
            writer.Write(Counter(value).Build());
            Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(reader));
            Assert.Equal(1, reader.Diagnostics.LastFamiliesMerged);
        }

        // Ranked between 0.2 and the live file.
        Counter(0.05).WriteTo(dir.File("counter_42000035.db"));
        Thread.Sleep(Settle * 2);
        Freeze(reader, 4);
        foreach (double value in new[] { 0.9, 0.3 })
        {
            writer.Write(Counter(value).Build());
            Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(reader));
            Assert.Equal(4, reader.Diagnostics.FrozenFileCount);
        }
    }

    /// <summary>
    /// Live writers keep changing values on top of frozen files, whose contribution the reader keeps per slot instead of
    /// reading them (exact runs of whole sums, first and extreme values, the latest timestamp, the last value): after every
    /// change the warm reader must be a fresh reader byte for byte, non-integer sums and their file order, NaN, signed
    /// zeros, infinities and sums beyond 53 bits included, also while dead files come, are thawed by a write, and freeze again.
    /// </summary>
    [Property(MaxTest = 20)]
    public bool LiveWritersOnFrozenFiles_KeepTheReaderEqualToAFreshOne(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);

        // Dead files on even PIDs, live ones on odd PIDs between them, so file order interleaves the two.
        for (int i = 0; i < 20; i++)
        {
            AddFile(dir, files, random, FakePids + 2 * i, MixedValue);
        }

        string[] live = [$"counter_{FakePids + 5}.db", $"histogram_{FakePids + 11}.db", $"gauge_{Modes[random.Next(Modes.Length)]}_{FakePids + 17}.db"];
        foreach (string name in live)
        {
            AddFile(dir, files, random, name, MixedValue);
            writers[name] = new MappedTestWriter(dir.File(name));
        }

        Thread.Sleep(Settle * 2);
        using var mirror = new TempDirectory();
        using MultiProcessDirectory reader = Open(dir.Path, splitMerge: seed % 2 == 0);
        bool mergedOnFrozen = false;
        int nextDead = 20;
        try
        {
            for (int step = 0; step < 24; step++)
            {
                if (DirectoryFixture.Text(reader) != Fresh(Mirror(dir, mirror, files)))
                {
                    return false;
                }

                mergedOnFrozen |= reader.Diagnostics.FrozenFileCount >= 12 && reader.Diagnostics.LastFamiliesMerged > 0;
                ChangeOnFrozen(dir, files, writers, live, random, ref nextDead);
            }
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }

        // The test means nothing unless live values were merged on top of frozen files.
        return mergedOnFrozen;
    }

    /// <summary>
    /// A dead file frozen while the family's frozen parts are kept takes its place in file order, here the first one: a NaN
    /// first value seeds a max and stays, of equal extremes (0 and -0) the first one is the minimum, of equal timestamps the
    /// first one is the most recent.
    /// </summary>
    [Theory]
    [InlineData("max", 5.0, 7.0, double.NaN, 1000.0, "g NaN")]
    [InlineData("min", 0.0, 3.0, -0.0, 1000.0, "g -0.0")]
    [InlineData("mostrecent", 3.0, 5.0, 4.0, 2000.0, "g 4.0")]
    public void DeadFileFrozenFirstInFileOrder_IsFoldedFirst(string mode, double second, double third, double first, double firstTimestamp, string expected)
    {
        using var dir = new TempDirectory();
        Gauge(second, 2000.0).WriteTo(dir.File($"gauge_{mode}_4200200.db"));
        Gauge(third, 2000.0).WriteTo(dir.File($"gauge_{mode}_4200300.db"));
        string live = Gauge(1.0, 1000.0).WriteTo(dir.File($"gauge_{mode}_4200400.db"));
        using MultiProcessDirectory reader = Open(dir.Path);
        using var writer = new MappedTestWriter(live);
        Freeze(reader, 2);
        writer.Write(Gauge(1.5, 1000.0).Build());
        DirectoryFixture.Text(reader);

        Gauge(first, firstTimestamp).WriteTo(dir.File($"gauge_{mode}_4200100.db"));
        DirectoryFixture.Text(reader);
        writer.Write(Gauge(2.0, 1000.0).Build());
        string warm = DirectoryFixture.Text(reader);
        Assert.Equal(3, reader.Diagnostics.FrozenFileCount);
        Assert.Equal(1, reader.Diagnostics.LastFamiliesMerged);
        Assert.Equal(0, reader.Diagnostics.LastFrozenPartsBuilt);
        Assert.Equal(Fresh(dir.Path), warm);
        Assert.Contains(expected + "\n", warm, StringComparison.Ordinal);
    }

    /// <summary>
    /// Files added one at a time between the same two neighbours in name order take ranks between theirs until no room is
    /// left, then every file is ranked again: the frozen fractions must still be folded in file order.
    /// </summary>
    [Fact]
    public void FilesAddedBetweenTheSameNeighbours_KeepFileOrder()
    {
        using var dir = new TempDirectory();
        using var mirror = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        byte[] key = ReferenceDbKey.Bytes("c", "c_total", [], "help");
        void Add(string name, double value)
        {
            files[name] = [new Entry(key, value, 0.0)];
            File.WriteAllBytes(dir.File(name), Build(files[name]));
        }

        Add("counter_4200000.db", 0.1);
        Add("counter_4200001.db", 1e16 / 3);
        string live = "counter_4200002.db";
        Add(live, 0.0);
        using MultiProcessDirectory reader = Open(dir.Path);
        using var writer = new MappedTestWriter(dir.File(live));
        Freeze(reader, 2);

        // counter_42000000.db, counter_420000000.db, ...: each sorts just after the one before, before counter_4200001.db.
        for (int i = 1; i <= 16; i++)
        {
            Add("counter_4200000" + new string('0', i) + ".db", (i * 0.37) + 0.001);
            DirectoryFixture.Text(reader);
            files[live] = [new Entry(key, i + 0.5, 0.0)];
            writer.Write(Build(files[live]));
            string warm = DirectoryFixture.Text(reader);
            Assert.Equal(Fresh(Mirror(dir, mirror, files)), warm);
        }

        Assert.Equal(18, reader.Diagnostics.FrozenFileCount);
    }

    /// <summary>
    /// Dead files freeze and thaw one at a time, at random places in file order, while live writers keep their families
    /// merged: a freeze adds the file's values to the kept frozen parts in place, at its rank, and a thaw takes them out
    /// (or, where that would not be a file-order fold, the family's parts are built again). After every step the warm
    /// reader must be a fresh reader byte for byte, with fractions, NaN, signed zeros, infinities and sums past 2^53.
    /// </summary>
    [Property(MaxTest = 25)]
    public bool FilesFreezingAndThawingOneAtATime_KeepTheReaderEqualToAFreshOne(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);

        // One gauge mode for most files, so the family's mode (the last file's) rarely changes and its parts are kept.
        string mode = Modes[random.Next(Modes.Length)];
        string[] live = [$"counter_{FakePids + 500}.db", $"histogram_{FakePids + 500}.db", $"gauge_{mode}_{FakePids + 500}.db"];
        foreach (string name in live)
        {
            AddFile(dir, files, random, name, MixedValue);
            writers[name] = new MappedTestWriter(dir.File(name));
        }

        for (int i = 0; i < 12; i++)
        {
            AddFile(dir, files, random, DeadName(random, mode), MixedValue);
        }

        Thread.Sleep(Settle * 2);
        using var mirror = new TempDirectory();
        using MultiProcessDirectory reader = Open(dir.Path);
        bool frozeInPlace = false;
        bool thawedInPlace = false;
        int frozenBefore = 0;
        try
        {
            for (int step = 0; step < 60; step++)
            {
                if (DirectoryFixture.Text(reader) != Fresh(Mirror(dir, mirror, files)))
                {
                    return false;
                }

                bool inPlace = reader.Diagnostics.LastFamiliesMerged > 0 && reader.Diagnostics.LastFrozenPartsBuilt == 0 && frozenBefore > 0;
                frozeInPlace |= inPlace && reader.Diagnostics.FrozenFileCount > frozenBefore;
                thawedInPlace |= inPlace && reader.Diagnostics.FrozenFileCount < frozenBefore;
                frozenBefore = reader.Diagnostics.FrozenFileCount;
                FreezeOrThawOne(dir, files, writers, live, mode, random);
            }
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }

        // The test means nothing unless files were frozen and thawed in place while their families were merged.
        return frozeInPlace && thawedInPlace;
    }

    /// <summary>A live writer's new values, and now and then one dead file more, written once (thawed) or deleted.</summary>
    private static void FreezeOrThawOne(TempDirectory dir, Dictionary<string, List<Entry>> files, Dictionary<string, MappedTestWriter> writers, string[] live, string mode, Random random)
    {
        string writer = live[random.Next(live.Length)];
        List<Entry> written = files[writer];
        int changed = random.Next(written.Count);
        written[changed] = written[changed] with { Value = MixedValue(random), Timestamp = 1000 + random.Next(3) };
        writers[writer].Write(Build(written));

        string[] dead = files.Keys.Where(n => !writers.ContainsKey(n)).Order(StringComparer.Ordinal).ToArray();
        switch (random.Next(5))
        {
            case 0:
                // A new dead file anywhere in file order: read, then frozen by a later scrape.
                AddFile(dir, files, random, DeadName(random, mode), MixedValue);
                Thread.Sleep(Settle * 2);
                break;
            case 1 when dead.Length > 0:
                // A process that opens a dead file and writes it (sometimes the same values) thaws it.
                string name = dead[random.Next(dead.Length)];
                List<Entry> entries = files[name];
                if (random.Next(2) == 0)
                {
                    int index = random.Next(entries.Count);
                    entries[index] = entries[index] with { Value = MixedValue(random), Timestamp = 1000 + random.Next(3) };
                }

                MappedTestWriter.WriteOnce(dir.File(name), Build(entries));
                break;
            case 2 when dead.Length > 4:
                string deleted = dead[random.Next(dead.Length)];
                File.Delete(dir.File(deleted));
                files.Remove(deleted);
                Thread.Sleep(Settle * 2);
                break;
        }
    }

    /// <summary>A dead file's name at a random place in file order; its gauges mostly in <paramref name="mode"/>.</summary>
    private static string DeadName(Random random, string mode)
    {
        int pid = FakePids + random.Next(1000);
        return random.Next(4) switch
        {
            0 => $"counter_{pid}.db",
            1 => $"histogram_{pid}.db",
            _ => $"gauge_{(random.Next(8) == 0 ? Modes[random.Next(Modes.Length)] : mode)}_{pid}.db",
        };
    }

    /// <summary>Mostly live writers' new values; now and then a dead file written once (thawed) or a new dead file.</summary>
    private static void ChangeOnFrozen(TempDirectory dir, Dictionary<string, List<Entry>> files, Dictionary<string, MappedTestWriter> writers, string[] live, Random random, ref int nextDead)
    {
        int kind = random.Next(10);
        if (kind == 8)
        {
            AddFile(dir, files, random, FakePids + 2 * nextDead++, MixedValue);
            Thread.Sleep(Settle * 2);
            return;
        }

        string name = kind == 9 ? files.Keys.Where(n => !writers.ContainsKey(n)).Order(StringComparer.Ordinal).ElementAt(random.Next(files.Count - live.Length)) : live[random.Next(live.Length)];
        List<Entry> entries = files[name];
        for (int changes = 1 + random.Next(3); changes > 0; changes--)
        {
            int changed = random.Next(entries.Count);
            // Few distinct timestamps, so mostrecent gauges see ties between files.
            entries[changed] = entries[changed] with { Value = MixedValue(random), Timestamp = 1000 + random.Next(3) };
        }

        if (random.Next(4) == 0)
        {
            entries.Add(NewEntry(name, random, random.Next(6), MixedValue));
        }

        Write(dir.File(name), Build(entries), writers.GetValueOrDefault(name));
    }

    // Mostly whole numbers (their sums are exact in any order), with what breaks that: fractions, sums past 2^53,
    // NaN, signed zeros and infinities.
    private static double MixedValue(Random random) => random.Next(20) switch
    {
        < 8 => random.Next(0, 50),
        8 => -random.Next(0, 50),
        // Near 2^52, where a fraction added before or after them rounds differently.
        9 or 10 => (1L << 52) + random.Next(0, 8),
        11 => random.Next(-8, 8) / 4.0,
        12 or 13 => Math.Round(random.NextDouble() * 100, 3) + 0.1,
        14 => -0.0,
        15 => 0.0,
        16 => double.NaN,
        17 => random.Next(2) == 0 ? double.PositiveInfinity : double.NegativeInfinity,
        _ => 1e300 * random.Next(1, 4),
    };

    /// <summary>Writes what each file holds into <paramref name="mirror"/>; after a compaction, reads the directory again.</summary>
    private static string Mirror(TempDirectory dir, TempDirectory mirror, Dictionary<string, List<Entry>> files)
    {
        foreach (string old in Directory.GetFiles(mirror.Path))
        {
            File.Delete(old);
        }

        foreach (string name in TempDirectory.DbFileNames(dir.Path))
        {
            if (files.TryGetValue(name, out List<Entry>? entries))
            {
                File.WriteAllBytes(mirror.File(name), Build(entries));
            }
            else
            {
                // An archive a compaction wrote (only compactions change them, and a compaction thaws what it touches).
                File.Copy(dir.File(name), mirror.File(name));
            }

            // Copied as it is: a list that names another file names no file of the mirror either.
            string sidecar = Chorus.Files.DbRemovedKeys.PathFor(dir.File(name));
            if (File.Exists(sidecar))
            {
                File.Copy(sidecar, Chorus.Files.DbRemovedKeys.PathFor(mirror.File(name)));
            }
        }

        return mirror.Path;
    }

    // A split merge folds every merge with two families or more on several threads (MergePartition), which the fresh
    // reader compared with never does.
    private MultiProcessDirectory Open(string path, int maxKeptFiles = 16384, bool splitMerge = false) =>
        MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions
        {
            ProbeAfterCollection = ProbeAfterCollection,
            MaxKeptFiles = maxKeptFiles,
            ListingSettleTime = Settle,
            ListingReuseLimit = ListingReuseLimit,
            ParallelMergeMinimumEntries = splitMerge ? 0 : MultiProcessDirectoryOptions.Default.ParallelMergeMinimumEntries,
        });

    private static string Fresh(string path)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        return DirectoryFixture.Text(fresh);
    }

    /// <summary>Scrapes until <paramref name="count"/> files are frozen (the second scrape of an unchanged file freezes it).</summary>
    private static void Freeze(MultiProcessDirectory reader, int count)
    {
        for (int i = 0; i < 4 && reader.Diagnostics.FrozenFileCount != count; i++)
        {
            DirectoryFixture.Text(reader);
        }

        Assert.Equal(count, reader.Diagnostics.FrozenFileCount);
    }

    private static DbFileBuilder Gauge(double value, double timestamp) => new DbFileBuilder(capacity: 4096).Add("g", "g", value, timestamp);

    private static DbFileBuilder Counter(double value) => new DbFileBuilder(capacity: 4096).Add("c", "c_total", value);

    /// <summary>Applies one random change; true when it created, deleted or renamed a name in the directory.</summary>
    private static bool Change(TempDirectory dir, Dictionary<string, List<Entry>> files, Dictionary<string, MappedTestWriter> writers, Random random, ref int nextId)
    {
        // A compaction may have folded files away; an archive it wrote is only read.
        foreach (string gone in files.Keys.Where(name => !File.Exists(dir.File(name))).ToList())
        {
            files.Remove(gone);
            writers.Remove(gone, out MappedTestWriter? orphan);
            orphan?.Dispose();
        }

        if (files.Count == 0)
        {
            AddFile(dir, files, random, FakePids + nextId++);
            return true;
        }

        string name = files.Keys.Order(StringComparer.Ordinal).ElementAt(random.Next(files.Count));
        List<Entry> entries = files[name];
        switch (random.Next(11))
        {
            case 0 or 1 or 2:
                // New values (sometimes a new entry) through a mapping: by the live writer, or by one that opens the
                // file, writes and goes away before the next scrape (a new process that reused a dead PID).
                int changed = random.Next(entries.Count);
                entries[changed] = entries[changed] with { Value = NextValue(random), Timestamp = entries[changed].Timestamp + 1 + random.Next(5) };
                if (random.Next(3) == 0)
                {
                    entries.Add(NewEntry(name, random, random.Next(6)));
                }

                Write(dir.File(name), Build(entries), writers.GetValueOrDefault(name));
                return false;
            case 3:
                // A writer starts and stays (or, when one is there, exits).
                if (writers.Remove(name, out MappedTestWriter? writer))
                {
                    writer.Dispose();
                }
                else
                {
                    writers[name] = new MappedTestWriter(dir.File(name));
                }

                return false;
            case 4:
                AddFile(dir, files, random, FakePids + nextId++);
                return true;
            case 5 when files.Count > 1:
                File.Delete(dir.File(name));
                files.Remove(name);
                writers.Remove(name, out MappedTestWriter? deletedWriter);
                deletedWriter?.Dispose();
                return true;
            case 6:
                List<Entry> replacement = [NewEntry(name, random, 0), NewEntry(name, random, 1)];
                File.WriteAllBytes(dir.File("next.tmp"), Build(replacement));
                File.Move(dir.File("next.tmp"), dir.File(name), overwrite: true);
                files[name] = replacement;
                writers.Remove(name, out MappedTestWriter? replacedWriter);
                replacedWriter?.Dispose();
                return true;
            case 7 when entries.Count > 1:
                // Truncated in place and written again shorter.
                entries.RemoveAt(entries.Count - 1);
                using (var stream = new FileStream(dir.File(name), FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                {
                    stream.SetLength(0);
                    stream.Write(Build(entries));
                }

                return false;
            case 8:
                Compactor.Run(dir.Path, s_compaction);
                return true;
            case 9:
                // A frozen file with a sidecar must thaw for any change of it.
                RandomDbFiles.ChangeRemovalList(dir.File(name), entries, random);
                return true;
            default:
                return false;
        }
    }

    private static void Write(string path, byte[] content, MappedTestWriter? writer)
    {
        if (writer is not null)
        {
            writer.Write(content);
        }
        else
        {
            MappedTestWriter.WriteOnce(path, content);
        }
    }
}
