using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// What the reader remembers about one file between collections: its identity, layout, how far its
/// entries were parsed and where each entry's value sits. Entries are append-only and never move, so
/// later collections parse only what lies past <see cref="ParsedUpTo"/>.
/// </summary>
internal sealed class FileState
{
    private const int InitialEntries = 16;

    public FileState(string fileName, string path)
    {
        FileName = fileName;
        Path = path;
        if (DbFileName.TryParse(fileName, out DbFileName name, out string? error))
        {
            Name = name;
            KeepsTimestamps = name.Kind == DbFileKind.Gauge;
            Pid = KeepsTimestamps ? name.Identity : null;
        }
        else
        {
            NameError = error;
        }
    }

    public string FileName { get; }

    public string Path { get; }

    public DbFileName Name { get; }

    /// <summary>Why the name is not one the collector reads; null for usable names.</summary>
    public string? NameError { get; }

    public FileIdentity Identity { get; set; }

    public ValueLayout? Layout { get; set; }

    /// <summary>The offset just past the last entry parsed (the header size when none).</summary>
    public int ParsedUpTo { get; set; } = DbFormat.HeaderSize;

    public int Count { get; private set; }

    public EntryTarget[] Targets { get; private set; } = [];

    public int[] ValueOffsets { get; private set; } = [];

    /// <summary>
    /// Gauge files: per entry, the slot its value goes to when that slot carries this file's pid (all/liveall gauges,
    /// any non-gauge family), resolved on first use (<see cref="MergeRules.SlotFor"/>); empty until a slot carries the pid
    /// (a livesum or max gauge file never has one), and for other files. Kept here, not in a target per entry and pid, so
    /// every file of a key shares its <see cref="EntryTarget"/>. Read it through <see cref="PidSlotAt"/>.
    /// </summary>
    public SeriesSlot?[] PidSlots { get; private set; } = [];

    /// <summary>The file's identity, which gauge files add as the <c>pid</c> label; null for other files.</summary>
    public string? Pid { get; }

    /// <summary>Values read by the current collection, one per entry (room for as many entries as <see cref="Targets"/>).</summary>
    public EntryValues Values { get; private set; } = new(0);

    /// <summary>
    /// Timestamps read by the current collection, one per entry (at least <see cref="Count"/>) once one was not 0; empty
    /// while all are 0 (the 8-byte layout, and every gauge but a mostrecent one: prometheus_client and Chorus store 0 for
    /// those) and unless <see cref="KeepsTimestamps"/>. An array per gauge file was 4.7 MB of the GitLab-sized host's heap,
    /// all zeros. Read one through <see cref="TimestampAt"/>.
    /// </summary>
    public double[] Timestamps { get; private set; } = [];

    /// <summary>Only gauges merge by timestamp (mostrecent), so only gauge files keep them.</summary>
    public bool KeepsTimestamps { get; }

    /// <summary>Entry <paramref name="index"/>'s timestamp as the current collection read it; 0 for a file that keeps none.</summary>
    public double TimestampAt(int index) => (uint)index < (uint)Timestamps.Length ? Timestamps[index] : 0.0;

    /// <summary>Sets entry <paramref name="index"/>'s timestamp (of <see cref="Count"/>), making the array for the first one that is not 0.</summary>
    public void SetTimestamp(int index, double stamp)
    {
        if ((uint)index >= (uint)Timestamps.Length)
        {
            if (BitConverter.DoubleToInt64Bits(stamp) == 0)
            {
                return;
            }

            Timestamps = Grow(Timestamps, Math.Max(Targets.Length, Count));
        }

        Timestamps[index] = stamp;
    }

    /// <summary>Distinct families in this file (for the gauge-mode pass).</summary>
    public List<FamilyState> Families { get; } = [];

    /// <summary>True when the last listing saw a removal sidecar (<see cref="DbRemovedKeys"/>) next to this file.</summary>
    public bool HasRemovals { get; set; }

    /// <summary>Keys the file's writer removed; their entries are skipped by the merge. Null when none.</summary>
    public HashSet<ParsedKey>? RemovedKeys { get; set; }

    /// <summary>The sidecar and file <see cref="RemovedKeys"/> were read for; null when no sidecar was.</summary>
    public RemovalsStamp? RemovalsReadFor { get; set; }

    /// <summary>The generation of the last listing that saw this file.</summary>
    public int Listed { get; set; }

    /// <summary>The inode the last listing saw under this name (0 when the listing did not say).</summary>
    public ulong ListedInode { get; set; }

    /// <summary>True when the last listing said the name is a regular file (its d_type), not a link or anything else.</summary>
    public bool ListedRegular { get; set; }

    /// <summary>The collection that last read this file (a file read by an earlier collection is worth keeping).</summary>
    public int LastCollection { get; set; }

    /// <summary>When (<see cref="Environment.TickCount64"/>) a value last changed or an entry was added.</summary>
    public long LastChanged { get; set; }

    /// <summary>The collection in which a value last changed or an entry was added (the clock may not move between two).</summary>
    public int ChangedInCollection { get; set; }

    /// <summary>The pass whose parallel refresh already read this file's values (see <see cref="ValueRefresh.TryRefreshKept"/>).</summary>
    public int Refreshed { get; set; }

    /// <summary>
    /// One bit per entry whose value the loader found changed, until the merge side takes them and marks their families
    /// (null until a value changes).
    /// </summary>
    public ulong[]? ChangedEntries { get; set; }

    /// <summary>The entries the loader found changed in a collection, with their values before (null until a value changes).</summary>
    public ChangedValues? Changes { get; set; }

    /// <summary>The file's place in file order (names sorted ordinally); ranks only grow with the name, gaps allowed.</summary>
    public int Rank { get; set; }

    /// <summary>True while no process can write the file (<see cref="FrozenFiles"/>): its values are kept, not read again.</summary>
    public bool Frozen { get; set; }

    /// <summary>When (<see cref="Environment.TickCount64"/>) the file may be probed for freezing again.</summary>
    public long NextFreezeProbe { get; set; }

    /// <summary>How long the last probe that found a writer waited before this one (milliseconds; 0 after a freeze).</summary>
    public long FreezeBackoff { get; set; }

    /// <summary>The collection in which the directory watch last saw the name created, deleted, renamed or relinked.</summary>
    public int NameEventIn { get; set; }

    /// <summary>The open, mapped file when kept between collections.</summary>
    public KeptFile? Kept { get; set; }

    /// <summary>
    /// True while <see cref="Targets"/> and <see cref="ValueOffsets"/> may be another file's arrays too (see
    /// <see cref="ShareEntriesOf"/>); both files copy them before changing them.
    /// </summary>
    public bool SharesEntries { get; private set; }

    /// <summary>
    /// Takes <paramref name="model"/>'s entries (targets and value offsets, the same arrays) for a file whose entries
    /// have the same keys at the same offsets: processes of one application write the same keys in the same order,
    /// and sharing keeps a cold pass from allocating (and the reader from holding) the same arrays per file. Targets
    /// do not depend on the file: a gauge file's pid slots are its own (<see cref="PidSlots"/>).
    /// </summary>
    /// <returns>True when <paramref name="values"/> (the file's values, read already) were taken as they are.</returns>
    public bool ShareEntriesOf(FileState model, EntryValues? values = null)
    {
        Targets = model.Targets;
        ValueOffsets = model.ValueOffsets;
        bool taken = values is not null && values.Capacity == Targets.Length && !KeepsTimestamps;
        Values = taken ? values! : new EntryValues(Targets.Length);
        if (KeepsTimestamps)
        {
            Timestamps = [];
            PidSlots = [];
        }

        Count = model.Count;
        SharesEntries = true;
        model.SharesEntries = true;
        Families.Clear();
        Families.AddRange(model.Families);
        return taken;
    }

    /// <summary>Room for <paramref name="entries"/> in all, growing by doubling (at least <c>InitialEntries</c>).</summary>
    public void EnsureCapacity(int entries) => EnsureCapacity(entries, exact: false);

    /// <summary>As <see cref="EnsureCapacity(int)"/>; <paramref name="exact"/> sizes arrays not yet allocated to <paramref name="entries"/>.</summary>
    public void EnsureCapacity(int entries, bool exact)
    {
        if (SharesEntries)
        {
            // About to append: make the arrays this file's own.
            Targets = (EntryTarget[])Targets.Clone();
            ValueOffsets = (int[])ValueOffsets.Clone();
            SharesEntries = false;
        }

        if (entries > Targets.Length)
        {
            int size = exact && Targets.Length == 0 ? entries : Math.Max(InitialEntries, Math.Max(entries, Targets.Length * 2));
            Targets = Grow(Targets, size);
            ValueOffsets = Grow(ValueOffsets, size);
            Values.Grow(size);
            if (KeepsTimestamps)
            {
                Timestamps = Timestamps.Length == 0 ? [] : Grow(Timestamps, size);
                PidSlots = PidSlots.Length == 0 ? [] : Grow(PidSlots, size);
            }
        }
    }

    public void Add(EntryTarget target, int valueOffset)
    {
        EnsureCapacity(Count + 1);

        Targets[Count] = target;
        ValueOffsets[Count] = valueOffset;
        Count++;
        FamilyState family = target.Key.Family;
        if (Families.Count == 0 || (Families[^1] != family && !Families.Contains(family)))
        {
            Families.Add(family);
        }
    }

    /// <summary>The slot cached for entry <paramref name="index"/> (<see cref="PidSlots"/>), null when none is.</summary>
    public SeriesSlot? PidSlotAt(int index) => index < PidSlots.Length ? PidSlots[index] : null;

    /// <summary>Where entry <paramref name="index"/>'s pid slot is cached, made room for on first use.</summary>
    public ref SeriesSlot? PidSlotCache(int index)
    {
        if (index >= PidSlots.Length)
        {
            PidSlots = Grow(PidSlots, Targets.Length);
        }

        return ref PidSlots[index];
    }

    /// <summary>Marks every family this file holds entries of as changed in <paramref name="generation"/>.</summary>
    public void MarkFamiliesChanged(int generation)
    {
        foreach (FamilyState family in Families)
        {
            family.ChangedIn = generation;
        }
    }

    /// <summary>This file was thawed with every other: the frozen parts of its families are built again when next merged.</summary>
    public void MarkFrozenPartsStale()
    {
        foreach (FamilyState family in Families)
        {
            family.FrozenStale = true;
        }
    }

    /// <summary>True when a family this file holds entries of changed in <paramref name="generation"/>.</summary>
    public bool HoldsChangedFamily(int generation)
    {
        foreach (FamilyState family in Families)
        {
            if (family.ChangedIn == generation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Forgets every parsed entry (file replaced, shrunk or unreadable).</summary>
    public void Reset()
    {
        Count = 0;
        Layout = null;
        ParsedUpTo = DbFormat.HeaderSize;
        Families.Clear();
        if (SharesEntries)
        {
            // Another file still uses these arrays.
            Targets = [];
            ValueOffsets = [];
            Values = new EntryValues(0);
            Timestamps = [];
            PidSlots = [];
            SharesEntries = false;
        }
        else
        {
            Array.Clear(Targets);
            Array.Clear(PidSlots);
        }
    }

    private static T[] Grow<T>(T[] array, int size)
    {
        var grown = new T[size];
        Array.Copy(array, grown, array.Length);
        return grown;
    }
}
