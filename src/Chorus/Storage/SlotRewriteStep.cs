namespace Chorus.Storage;

/// <summary>The points of a slot file's rewrite at which a test can stop the process (<see cref="SlotFileRewrite"/>).</summary>
internal enum SlotRewriteStep
{
    /// <summary>The new file is written and flushed under its temporary name; the old file is still in place.</summary>
    TemporaryWritten,

    /// <summary>The new file has replaced the old one; the removal sidecar is as it was.</summary>
    Renamed,

    /// <summary>The sidecar was cut down to the keys this rewrite dropped (or deleted when none): the rewrite is complete.</summary>
    SidecarPruned,
}
