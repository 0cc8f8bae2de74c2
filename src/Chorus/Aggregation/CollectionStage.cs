namespace Chorus.Aggregation;

/// <summary>The parts of a collection <see cref="CollectionStageTimes"/> times.</summary>
internal enum CollectionStage
{
    /// <summary>Reading the directory watch's queue before anything else (frozen files thawed).</summary>
    Watch,

    /// <summary>Listing: the whole directory or the names the watch saw change (<see cref="DirectoryListing"/>).</summary>
    Listing,

    /// <summary>Reading every name of the directory (inside <see cref="Listing"/>), not only those the watch saw change.</summary>
    ListEveryName,

    /// <summary>After a response: checking that every name is as listed, when the next collection would list them all (<see cref="DirectoryListing.CheckNames"/>).</summary>
    CheckNames,

    /// <summary>Reading the watch's queue for the names changed (inside <see cref="Listing"/>).</summary>
    ListWatchEvents,

    /// <summary>Looking each name the watch saw change up (inside <see cref="Listing"/>).</summary>
    ListLookUp,

    /// <summary>Taking the names the watch saw change into the listing (inside <see cref="Listing"/>).</summary>
    ListChanged,

    /// <summary>Merging new names into file order (inside <see cref="ListChanged"/>).</summary>
    ListInsert,

    /// <summary>Forgetting names gone (inside <see cref="ListChanged"/>).</summary>
    ListGone,

    /// <summary>Bringing the live files' list up to date (<see cref="LiveFiles.Update"/>).</summary>
    LiveList,

    /// <summary>Refreshing values of kept and idle files, on every core for a big directory.</summary>
    Refresh,

    /// <summary>The rest of the load in file order: new and changed files read in full, files offered for freezing.</summary>
    Load,

    /// <summary>Files read in full (new or changed; inside <see cref="Load"/>).</summary>
    FullRead,

    /// <summary>Noting the files whose values changed (before any is frozen).</summary>
    MarkChanged,

    /// <summary>Lease probes of the files offered for freezing, and freezing them.</summary>
    Freeze,

    /// <summary>Adding a newly frozen file to its families' frozen parts (inside <see cref="Freeze"/>).</summary>
    AddFrozen,

    /// <summary>Taking a thawed file out of its families' frozen parts.</summary>
    RemoveThawed,

    /// <summary>Letting idle kept files go, and marking everything changed when all must merge again.</summary>
    PrepareMerge,

    /// <summary>prometheus_client's gauge modes of the families changed.</summary>
    GaugeModes,

    /// <summary>Counting the entries merged.</summary>
    CountEntries,

    /// <summary>Updating the slots of changed values in place, or marking their families to merge in full (<see cref="ChangedSlots"/>).</summary>
    MergeSlots,

    /// <summary>Merging the families changed (<see cref="FamilyMerge.MergeChanged"/>).</summary>
    Merge,

    /// <summary>Building the samples of the families merged.</summary>
    Emit,

    /// <summary>Forgetting vanished files and sweeping the series of files gone.</summary>
    Forget,

    /// <summary>The collection's report.</summary>
    Report,

    /// <summary>Formatting the families merged and writing every family (after the collection).</summary>
    Render,

    /// <summary>A garbage collection a server ran between scrapes (not part of any collection).</summary>
    CollectGarbage,

    /// <summary>A full, compacting collection a server ran between scrapes to give back the memory its heap outgrew.</summary>
    CompactHeap,

    /// <summary>Giving the C heap's free pages back to the system, as a server does between scrapes.</summary>
    TrimNativeHeap,
}
