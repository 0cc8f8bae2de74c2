using Chorus.Aggregation;
using Chorus.Files;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus.Tests.Storage;

/// <summary>
/// A new owner of a slot rewrites the dead owner's files without their removed series (<see cref="SlotFileRewrite"/>).
/// The dead owner's files are written by the reference writer (<see cref="DbFileBuilder"/>): a registry disposed in
/// this process keeps its mappings, which rightly stops the rewrite (tested below).
/// </summary>
public sealed class SlotFileRewriteTests : IDisposable
{
    private const string Kept = """["c", "c_total", {"k": "kept"}, "C."]""";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private MetricRegistry Open(ValueLayout layout = ValueLayout.ValueAndTimestamp16, Action<SlotRewriteStep>? hook = null, IdentityKind identity = IdentityKind.Slot) =>
        Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path, ValueLayout = layout, Identity = identity, CustomIdentity = identity == IdentityKind.Custom ? "web-1" : null, SlotRewriteHook = hook });

    // A dead owner's counter file: one kept series (7) and `removed` series it had removed, listed in its sidecar.
    private string WriteDeadOwnersCounter(string name, int removed, ValueLayout layout = ValueLayout.ValueAndTimestamp16)
    {
        var builder = new DbFileBuilder(layout).Add("c", "c_total", 7, "C.", ("k", "kept"));
        var removedKeys = new List<byte[]>();
        for (int i = 0; i < removed; i++)
        {
            string value = "gone-" + new string('x', 60) + i;
            builder.Add("c", "c_total", i + 1, "C.", ("k", value));
            removedKeys.Add(ReferenceDbKey.Bytes("c", "c_total", [("k", value)], "C."));
        }

        string path = builder.WriteTo(_dir.File(name));
        DbRemovedKeys.Write(path, removedKeys);
        return path;
    }

    [Theory]
    [InlineData(ValueLayout.ValueAndTimestamp16)]
    [InlineData(ValueLayout.Value8)]
    public void NewOwner_RewritesWithoutRemovedSeries_KeepsTheRestExactly(ValueLayout layout)
    {
        string path = WriteDeadOwnersCounter("counter_0.db", 3000, layout);
        long before = new FileInfo(path).Length;
        Assert.True(before > 4 * DbFormat.InitialCapacity);

        using MetricRegistry registry = Open(layout);
        Counter counter = registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        counter.WithLabels("kept").Inc();

        Assert.Equal("0", registry.Identity);
        Assert.Equal(DbFormat.InitialCapacity, new FileInfo(path).Length);
        Assert.Equal(8.0, Assert.Single(DbFileContents.Read(path, layout), kv => kv.Key == Kept).Value);
        Assert.Single(DbFileContents.Read(path, layout));
        Assert.False(File.Exists(path + SlotFileRewrite.TemporarySuffix));
        Assert.Empty(registry.StorageNotes);

        // The sidecar keeps the dropped keys until this owner saves removals of its own (a reader may still be on
        // the old file) ...
        Assert.Equal(3000, DbRemovedKeys.Read(path).Count);
        registry.Dispose();

        // ... and the next owner, finding none of them in the file, deletes it.
        using MetricRegistry next = Open(layout);
        Assert.False(File.Exists(DbRemovedKeys.PathFor(path)));
        Assert.Equal(8.0, Assert.Single(DbFileContents.Read(path, layout)).Value);
    }

    [Fact]
    public void SidecarIsCutDownToTheKeysThisRewriteDrops()
    {
        string path = WriteDeadOwnersCounter("counter_0.db", 5);
        byte[] alreadyGone = ReferenceDbKey.Bytes("c", "c_total", [("k", "dropped by an earlier owner")], "C.");
        DbRemovedKeys.Write(path, [.. DbRemovedKeys.Read(path), alreadyGone]);

        using MetricRegistry registry = Open();

        RemovedKeyList listed = DbRemovedKeys.Read(path);
        Assert.Equal(5, listed.Count);
        Assert.DoesNotContain(listed, k => k.AsSpan().SequenceEqual(alreadyGone));
        Assert.Single(DbFileContents.Read(path));
    }

    [Fact]
    public void ASeriesTheDeadOwnerRemoved_MadeAgainByTheNewOwner_IsSeenByReaders()
    {
        string path = WriteDeadOwnersCounter("counter_0.db", 3);
        string again = "gone-" + new string('x', 60) + "1";

        using MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        counter.WithLabels(again).Inc(5);

        // The sidecar no longer lists it, or Chorus's readers would hide it while Python's show it.
        Assert.DoesNotContain(DbRemovedKeys.Read(path), k => k.AsSpan().SequenceEqual(ReferenceDbKey.Bytes("c", "c_total", [("k", again)], "C.")));
        Dictionary<string, double> samples = Aggregation.DirectoryFixture.Scrape(_dir.Path).Samples;
        Assert.Equal(5.0, samples[$"c_total{{k=\"{again}\"}}"]);
        Assert.Equal(7.0, samples["c_total{k=\"kept\"}"]);
    }

    [Fact]
    public void NewOwnerOfACustomIdentity_RewritesToo_AndEveryContinuedKind()
    {
        string counter = WriteDeadOwnersCounter("counter_web-1.db", 10);
        string gauge = _dir.File("gauge_max_web-1.db");
        new DbFileBuilder().Add("g", "g", 5, "G.", ("k", "kept")).Add("g", "g", 9, "G.", ("k", "gone")).WriteTo(gauge);
        DbRemovedKeys.Write(gauge, [ReferenceDbKey.Bytes("g", "g", [("k", "gone")], "G.")]);

        using MetricRegistry registry = Open(identity: IdentityKind.Custom);

        Assert.Single(DbFileContents.Read(counter));
        Assert.Equal(5, Assert.Single(DbFileContents.Read(gauge)).Value);
    }

    [Fact]
    public void FileWithoutRemovedSeries_IsContinuedInPlace()
    {
        string path = new DbFileBuilder().Add("c", "c_total", 7, "C.", ("k", "kept")).WriteTo(_dir.File("counter_0.db"));
        FileIdentity? before = NativeFile.TryGetId(path);

        using MetricRegistry registry = Open();

        Assert.Equal(before, NativeFile.TryGetId(path));
    }

    [Fact]
    public void SidecarOfAFileCompactionFolded_IsDeleted()
    {
        string path = _dir.File("counter_0.db");
        DbRemovedKeys.Write(path, [ReferenceDbKey.Bytes("c", "c_total", [("k", "gone")], "C.")]);

        using MetricRegistry registry = Open();

        Assert.False(File.Exists(DbRemovedKeys.PathFor(path)));
    }

    [Fact]
    public void LeftoverTemporaryFile_IsDeleted_AndTheFileStillRewritten()
    {
        string path = WriteDeadOwnersCounter("counter_0.db", 5);
        File.WriteAllText(path + SlotFileRewrite.TemporarySuffix, "half a file");

        using MetricRegistry registry = Open();

        Assert.Single(DbFileContents.Read(path));
        Assert.False(File.Exists(path + SlotFileRewrite.TemporarySuffix));
    }

    [Fact]
    public void WhileACompactionJournalExists_NothingIsRewritten()
    {
        string path = WriteDeadOwnersCounter("counter_0.db", 5);
        File.WriteAllText(_dir.File(CompactionJournal.FileName), "journal of a compaction that has not finished");

        using MetricRegistry registry = Open();

        Assert.Equal(6, DbFileContents.Read(path).Count);
        Assert.True(File.Exists(DbRemovedKeys.PathFor(path)));
    }

    [Fact]
    public void FileStillMappedByADisposedRegistry_IsNotRewritten()
    {
        string path = _dir.File("counter_0.db");
        Counter.Child stale;
        using (MetricRegistry earlier = Open())
        {
            Counter counter = earlier.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
            stale = counter.WithLabels("kept");
            counter.WithLabels("gone").Inc(3);
            counter.Remove("gone");
        }

        using MetricRegistry registry = Open();
        stale.Inc(2);

        // The disposed registry's mapping still writes into this very file: cutting it off would lose those counts.
        Assert.Equal(2, DbFileContents.Read(path)[Kept]);
        Assert.Equal(2, DbFileContents.Read(path).Count);
        Assert.Contains(registry.StorageNotes, n => n.Contains("holds it for writing", StringComparison.Ordinal));
    }

    [Fact]
    public void ASeriesTheDeadOwnerRemoved_MadeAgainByAPythonOwnerLater_IsSeenByReaders_AndKeptByTheNextOwner()
    {
        string path = WriteDeadOwnersCounter("counter_0.db", 3);
        string again = "gone-" + new string('x', 60) + "1";
        byte[] againKey = ReferenceDbKey.Bytes("c", "c_total", [("k", again)], "C.");
        ulong before = NativeFile.TryGetId(path)!.Value.Inode;
        Open().Dispose();
        Assert.Equal(before, DbRemovedKeys.Read(path).Inode);

        // A Python worker takes the slot next (chorus_slot.py leaves the sidecar to the next handover) and makes the
        // series again in the file it continues.
        new DbFileBuilder().Add("c", "c_total", 8, "C.", ("k", "kept")).Add("c", "c_total", 5, "C.", ("k", again)).WriteTo(path);

        Dictionary<string, double> samples = Aggregation.DirectoryFixture.Scrape(_dir.Path).Samples;
        Assert.Equal(5.0, samples[$"c_total{{k=\"{again}\"}}"]);
        Assert.Equal(8.0, samples["c_total{k=\"kept\"}"]);

        // The next owner does not take the list for this file's: it keeps the series and deletes the list.
        using MetricRegistry next = Open();
        Assert.Equal(5.0, DbFileContents.Read(path)[System.Text.Encoding.UTF8.GetString(againKey)]);
        Assert.False(File.Exists(DbRemovedKeys.PathFor(path)));
        Assert.Equal(5.0, Aggregation.DirectoryFixture.Scrape(_dir.Path).Samples[$"c_total{{k=\"{again}\"}}"]);
    }

    [Theory]
    [InlineData(nameof(SlotRewriteStep.SidecarMarked))]
    [InlineData(nameof(SlotRewriteStep.TemporaryWritten))]
    [InlineData(nameof(SlotRewriteStep.Renamed))]
    [InlineData(nameof(SlotRewriteStep.SidecarPruned))]
    public void CrashAtAnyStep_TheReaderSeesTheSameTotals_AndTheNextOwnerFinishes(string step)
    {
        SlotRewriteStep crashAt = Enum.Parse<SlotRewriteStep>(step);
        string path = WriteDeadOwnersCounter("counter_0.db", 50);
        // A key an earlier rewrite dropped, which this one leaves out of the list.
        DbRemovedKeys.Write(path, [.. DbRemovedKeys.Read(path), ReferenceDbKey.Bytes("c", "c_total", [("k", "older")], "C.")]);
        using MultiProcessDirectoryProbe probe = new(_dir.Path);
        double before = probe.Total();
        if (crashAt == SlotRewriteStep.SidecarPruned)
        {
            // A list is pruned by the owner after the one whose rewrite left it.
            Open().Dispose();
            Assert.Equal(before, probe.Total());
        }

        Assert.Throws<SimulatedCrashException>(() => Open(hook: step =>
        {
            if (step == crashAt)
            {
                throw new SimulatedCrashException();
            }
        }));

        Assert.Equal(before, probe.Total());
        using MetricRegistry registry = Open();
        Assert.Equal(before, probe.Total());
        Assert.Single(DbFileContents.Read(path));
        Assert.False(File.Exists(path + SlotFileRewrite.TemporarySuffix));
        // Only a rewrite that renamed nothing before the crash drops the 50 keys again (and keeps them one more owner).
        Assert.Equal(crashAt is SlotRewriteStep.SidecarMarked or SlotRewriteStep.TemporaryWritten ? 50 : 0, DbRemovedKeys.Read(path).Count);
    }

    private sealed class SimulatedCrashException : Exception
    {
    }

    // The merged value of c_total as the Chorus reader serves it.
    private sealed class MultiProcessDirectoryProbe(string directory) : IDisposable
    {
        private readonly MultiProcessDirectory _reader = MultiProcessDirectory.Open(directory);

        public double Total() => _reader.CollectFamilies().Single(f => f.Name == "c").Samples.Sum(s => s.Value);

        public void Dispose() => _reader.Dispose();
    }
}
