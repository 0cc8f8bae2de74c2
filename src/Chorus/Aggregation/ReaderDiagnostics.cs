using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// What a <see cref="MultiProcessDirectory"/>'s stages did in its last collection and hold now, for tests and stage-time
/// lines; read through <c>MultiProcessDirectory.Diagnostics</c>. What the reader's state holds is read under its lock.
/// </summary>
internal sealed class ReaderDiagnostics(
    Lock gate,
    CollectionStageTimes times,
    KeyTable keys,
    List<FileState> files,
    FileLoader loader,
    FileRefresh refresh,
    FrozenFiles frozen,
    FamilyMerge merge,
    FamilyRenderings renderings,
    List<MetricFamily> output,
    WorkAfterResponse afterResponse)
{
    /// <summary>Where the last collection's time went (and <see cref="CollectionStageTimes.Variable"/>).</summary>
    public CollectionStageTimes LastStageTimes => times;

    /// <summary>How many renderings the emitted families keep, all formats together.</summary>
    public int RenderingsKept
    {
        get
        {
            lock (gate)
            {
                return renderings.Kept;
            }
        }
    }

    /// <summary>How many families the last collection merged again (the others' samples were reused).</summary>
    public int LastFamiliesMerged { get; set; }

    /// <summary>How many families the last collection built frozen parts for over every frozen file (0 when files froze or thawed in place).</summary>
    public int LastFrozenPartsBuilt => merge.LastFrozenPartsBuilt;

    /// <summary>The families the last collection handed to the writer, as they are (their <see cref="MetricFamily.Edits"/>).</summary>
    public IReadOnlyList<MetricFamily> LastFamilies => output;

    /// <summary>How many slots the last collection updated per changed slot, without a full merge of their families.</summary>
    public int LastSlotsUpdated => merge.LastSlotsUpdated;

    /// <summary>How many sum slots with frozen parts the last collection folded again per changed slot.</summary>
    public int LastFrozenSumsRefolded => merge.LastFrozenSumsRefolded;

    /// <summary>How many listings of every name were made after a response, and found every name as listed.</summary>
    public int NamesCheckedAfterResponse => afterResponse.NamesChecked;

    /// <summary>How many threads the last collection's merge folded on.</summary>
    public int LastMergeWorkers => merge.LastMergeWorkers;

    /// <summary>How many threads the last collection's merge per changed slot ran on.</summary>
    public int LastSlotWorkers => merge.LastSlotWorkers;

    /// <summary>Whether the last collection skipped listing the directory (its names had not changed).</summary>
    public bool LastListingSkipped { get; set; }

    /// <summary>How many workers the last warm refresh ran: 1 on one thread, one per core on a big directory.</summary>
    public int RefreshWorkers => refresh.RefreshWorkers;

    /// <summary>Files the last collection took from a <see cref="ColdReadAhead"/>.</summary>
    public int FilesReadAhead => refresh.FilesReadAhead;

    /// <summary>The length of the buffer files are read into by path.</summary>
    public int ReadBufferLength => loader.ReadBufferLength;

    /// <summary>Files frozen after the last collection (no process can write them; see <see cref="FrozenFiles"/>), as the next collection would see them.</summary>
    public int FrozenFileCount
    {
        get
        {
            lock (gate)
            {
                frozen.ProbePending(Environment.TickCount64);
                return frozen.Count;
            }
        }
    }

    /// <summary>How many files hold a cache of the slots that carry their pid (<see cref="FileState.PidSlots"/>).</summary>
    public int FilesCachingPidSlots
    {
        get
        {
            lock (gate)
            {
                return files.Count(file => file.PidSlots.Length > 0);
            }
        }
    }

    /// <summary>Files that keep an array of timestamps: gauge files once one of their timestamps was not 0.</summary>
    public int FilesKeepingTimestamps
    {
        get
        {
            lock (gate)
            {
                return files.Count(file => file.Timestamps.Length > 0);
            }
        }
    }

    /// <summary>
    /// Of the sample slots whose contributions are listed: how many, how many share their family's list of files
    /// (<see cref="ListedFiles"/>), and how many name one entry for every file.
    /// </summary>
    public (int Listed, int SharingFiles, int OneEntry) ListedContributions
    {
        get
        {
            lock (gate)
            {
                (int listed, int sharing, int oneEntry) = (0, 0, 0);
                foreach (SlotContributions contributions in keys.OrderedFamilies
                    .SelectMany(family => family.OrderedGroups)
                    .SelectMany(place => place is LabelGroup group ? group.Samples.AsSpan().ToArray() : [(SeriesSlot)place])
                    .Select(slot => slot.Contributions)
                    .OfType<SlotContributions>()
                    .Where(contributions => contributions.Listed && contributions.Count > 0))
                {
                    listed++;
                    sharing += contributions.SharesFiles ? 1 : 0;
                    oneEntry += contributions.HasOneEntry ? 1 : 0;
                }

                return (listed, sharing, oneEntry);
            }
        }
    }

    /// <summary>Slots held in memory (bounded memory under churn).</summary>
    public int SlotCount
    {
        get
        {
            lock (gate)
            {
                return keys.SlotCount;
            }
        }
    }
}
