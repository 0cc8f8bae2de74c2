using Chorus.Files;

namespace Chorus.Tests.Storage;

public sealed class MultiProcessStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private MetricRegistry Open(ValueLayout layout = ValueLayout.ValueAndTimestamp16, IdentityKind identity = IdentityKind.Slot, string? custom = null) =>
        Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path, ValueLayout = layout, Identity = identity, CustomIdentity = custom });

    [Fact]
    public void Counter_WritesPythonKeyAndValueIntoSlotFile()
    {
        using MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("requests_total", "Requests.", new CounterConfiguration { LabelNames = ["route"] });
        counter.WithLabels("/a").Inc(2.5);

        Assert.Equal("0", registry.Identity);
        Assert.True(File.Exists(_dir.File("chorus-slot-0.lock")));
        Dictionary<string, double> values = DbFileContents.Read(_dir.File("counter_0.db"), ValueLayout.ValueAndTimestamp16);
        Assert.Equal(2.5, values["""["requests", "requests_total", {"route": "/a"}, "Requests."]"""]);
    }

    [Fact]
    public void AFileThatCannotBeOpened_IsReportedOnce_AndNotTriedForEveryNewSeries()
    {
        // A directory where the slot's counter file goes: it cannot be opened, moved aside or replaced.
        System.IO.Directory.CreateDirectory(_dir.File("counter_0.db"));
        using MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        for (int i = 0; i < 50; i++)
        {
            counter.WithLabels($"v{i}").Inc(i);
        }

        Assert.Equal("0", registry.Identity);
        Assert.Equal(49.0, counter.WithLabels("v49").Value);
        Assert.Single(registry.StorageNotes, note => note.Contains("cannot open", StringComparison.Ordinal));
    }

    [Fact]
    public void EightByteLayout_IsDetectedAsSuch()
    {
        using MetricRegistry registry = Open(ValueLayout.Value8);
        registry.CreateGauge("g", "G.", new GaugeConfiguration { Mode = GaugeMode.LiveSum }).Set(7);

        byte[] data = File.ReadAllBytes(_dir.File("gauge_livesum_0.db"));
        (List<ReferenceDbEntry> entries, int valueWidth) = ReferenceDbFile.ReadEitherLayout(data);
        Assert.Equal(8, valueWidth);
        Assert.Equal(7, entries[0].Value);
        Assert.Equal(ReferenceDbFile.InitialSize, data.Length);
    }

    [Fact]
    public void SecondRegistry_TakesNextSlot_AndDisposedSlotIsReused()
    {
        MetricRegistry first = Open();
        using (MetricRegistry second = Open())
        {
            Assert.Equal("0", first.Identity);
            Assert.Equal("1", second.Identity);
        }

        first.Dispose();
        using MetricRegistry third = Open();
        Assert.Equal("0", third.Identity);
    }

    [Fact]
    public void TakingDeadSlot_ContinuesCounters_ResetsLiveGaugesOnly()
    {
        using (MetricRegistry dead = Open())
        {
            dead.CreateCounter("c", "C.").Inc(5);
            dead.CreateGauge("live", "L.", new GaugeConfiguration { Mode = GaugeMode.LiveSum }).Set(3);
            dead.CreateGauge("kept", "K.", new GaugeConfiguration { Mode = GaugeMode.Max }).Set(4);
        }

        Assert.True(File.Exists(_dir.File("gauge_livesum_0.db")));
        using MetricRegistry next = Open();
        Assert.False(File.Exists(_dir.File("gauge_livesum_0.db")));
        Counter counter = next.CreateCounter("c", "C.");
        Assert.Equal(5, counter.Value);
        counter.Inc();
        Assert.Equal(6, DbFileContents.Read(_dir.File("counter_0.db"))["""["c", "c_total", {}, "C."]"""]);
        Assert.Equal(0, next.CreateGauge("live", "L.", new GaugeConfiguration { Mode = GaugeMode.LiveSum }).Value);
        Assert.Equal(4, next.CreateGauge("kept", "K.", new GaugeConfiguration { Mode = GaugeMode.Max }).Value);
    }

    [Fact]
    public void PidIdentity_NamesFilesByProcessId()
    {
        using MetricRegistry registry = Open(identity: IdentityKind.Pid);
        registry.CreateCounter("c", "C.").Inc();
        Assert.True(File.Exists(_dir.File($"counter_{Environment.ProcessId}.db")));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.lock"));
    }

    [Fact]
    public void CustomIdentity_HeldTwice_IsRefusedWithClearError()
    {
        using MetricRegistry first = Open(identity: IdentityKind.Custom, custom: "web-1");
        var error = Assert.Throws<InvalidOperationException>(() => Open(identity: IdentityKind.Custom, custom: "web-1"));
        Assert.Contains("web-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Another live process", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a_b")]
    [InlineData("../x")]
    public void CustomIdentity_Invalid_IsRejected(string id)
    {
        Assert.Throws<ArgumentException>(() => Open(identity: IdentityKind.Custom, custom: id));
    }

    [Fact]
    public void MissingDirectory_FailsAtRegistryCreation()
    {
        string missing = _dir.File("not-there");
        var error = Assert.Throws<DirectoryNotFoundException>(() => Metrics.NewCustomRegistry(new ChorusOptions { Directory = missing }));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForeignLayoutFileAtOurSlot_IsMovedAsideAsValidDb()
    {
        using (MetricRegistry old = Open(ValueLayout.Value8))
        {
            old.CreateCounter("c", "C.").Inc(3);
        }

        using MetricRegistry registry = Open(ValueLayout.ValueAndTimestamp16);
        registry.CreateCounter("c", "C.").Inc(1);

        string aside = Assert.Single(Directory.GetFiles(_dir.Path, "counter_0-aside*.db"));
        Assert.Equal(3, DbFileContents.Read(aside).Values.Single());
        Assert.Equal(1, DbFileContents.Read(_dir.File("counter_0.db")).Values.Single());
        Assert.Contains(registry.StorageNotes, n => n.Contains("8-byte layout", StringComparison.Ordinal));
    }

    [Fact]
    public void DamagedFileAtOurSlot_IsMovedToNonDbName()
    {
        byte[] junk = new byte[64];
        junk[0] = 200; // used = 200, beyond the 64-byte file
        File.WriteAllBytes(_dir.File("counter_0.db"), junk);

        using MetricRegistry registry = Open();
        registry.CreateCounter("c", "C.").Inc();

        Assert.Single(Directory.GetFiles(_dir.Path, "counter_0.db.damaged-*"));
        Assert.Equal(1, DbFileContents.Read(_dir.File("counter_0.db")).Values.Single());
    }

    [Fact]
    public void Remove_WritesSidecar_AndRecreatedSeriesStartsFromZero()
    {
        using MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        counter.WithLabels("a").Inc(4);
        counter.WithLabels("b").Inc(1);

        Assert.True(counter.Remove("a"));
        Assert.False(counter.Remove("a"));
        string key = """["c", "c_total", {"k": "a"}, "C."]""";
        IReadOnlyList<byte[]> removed = DbRemovedKeys.Read(_dir.File("counter_0.db"));
        Assert.Equal(key, System.Text.Encoding.ASCII.GetString(Assert.Single(removed)));

        counter.WithLabels("a").Inc();
        Assert.Empty(DbRemovedKeys.Read(_dir.File("counter_0.db")));
        Assert.False(File.Exists(DbRemovedKeys.PathFor(_dir.File("counter_0.db"))));
        Assert.Equal(1, DbFileContents.Read(_dir.File("counter_0.db"))[key]);

        counter.Clear();
        Assert.Equal(2, DbRemovedKeys.Read(_dir.File("counter_0.db")).Count);
    }

    [Fact]
    public void GrowingFile_KeepsEarlierChildrenWorking()
    {
        using MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        Counter.Child first = counter.WithLabels("first");
        for (int i = 0; i < 3000; i++)
        {
            counter.WithLabels(new string('x', 40) + i).Inc();
        }

        first.Inc(7);
        string path = _dir.File("counter_0.db");
        Assert.True(new FileInfo(path).Length > DbFormat.InitialCapacity);
        Dictionary<string, double> values = DbFileContents.Read(path);
        Assert.Equal(3001, values.Count);
        Assert.Equal(7, values["""["c", "c_total", {"k": "first"}, "C."]"""]);
    }

    [Fact]
    public void DiskFull_WhileGrowing_DegradesToMemoryAndReportsOnce()
    {
        using MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        Counter.Child early = counter.WithLabels("early");
        Chorus.Internal.DiskSpace.FaultInjection = (path, offset, length) => path == _dir.File("counter_0.db") && offset > 0 ? 28 : 0;
        try
        {
            for (int i = 0; i < 2000; i++)
            {
                counter.WithLabels("late-" + new string('y', 40) + i).Inc(2);
            }
        }
        finally
        {
            Chorus.Internal.DiskSpace.FaultInjection = null;
        }

        early.Inc();
        Assert.Equal(2, counter.WithLabels("late-" + new string('y', 40) + "1999").Value);
        Assert.Single(registry.StorageNotes, n => n.Contains("cannot extend", StringComparison.Ordinal));
        Assert.Equal(1, DbFileContents.Read(_dir.File("counter_0.db"))["""["c", "c_total", {"k": "early"}, "C."]"""]);
    }
}
