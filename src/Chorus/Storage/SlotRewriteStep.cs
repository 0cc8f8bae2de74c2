namespace Chorus.Storage;

/// <summary>The points of a slot file's rewrite at which a test can stop the process (<see cref="SlotFileRewrite"/>).</summary>
internal enum SlotRewriteStep
{
    /// <summary>
    /// The sidecar lists just the keys the rewrite drops, with the inode of the file they are dropped from; the old file is
    /// still in place.
    /// </summary>
    SidecarMarked,

    /// <summary>The new file is written and flushed under its temporary name; the old file is still in place.</summary>
    TemporaryWritten,

    /// <summary>The new file has replaced the old one: the rewrite is complete.</summary>
    Renamed,

    /// <summary>A sidecar naming only keys the file no longer holds (an earlier rewrite's) was deleted: nothing to rewrite.</summary>
    SidecarPruned,
}
