namespace Chorus.Compaction;

/// <summary>Settings of one compaction run. The defaults are safe for a directory shared with prometheus_client.</summary>
public sealed class CompactionOptions
{
    /// <summary>Report what would be done without changing anything (no lock file is created either). Default false.</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// How long <c>all</c>-mode gauge files of dead processes are kept (they are one series per process, so they
    /// cannot be folded). Null, the default, keeps them forever, as prometheus_client does.
    /// </summary>
    public TimeSpan? AllModeRetention { get; init; }

    /// <summary>
    /// A process running under the PID that names a dead writer's files, without holding them, counts as alive while
    /// it is younger than this (default 60 s): it may be a new worker that reused the PID and is about to open them.
    /// Older ones are unrelated processes, and the files are folded.
    /// </summary>
    public TimeSpan ReusedPidGrace { get; init; } = DirectorySurvey.DefaultReusedPidGrace;

    /// <summary>
    /// How long to wait after renaming dead files aside before checking that nobody opened them meanwhile.
    /// Covers a process (one that reused a dead writer's PID) that looked the name up just before the rename and
    /// was descheduled before its open completed. Default 250 ms: 20 ms lost one worker's counts once in a
    /// benchmark on 2 cores at load average 22 (docs/compaction.md).
    /// </summary>
    internal TimeSpan ClaimSettleTime { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Whether new archives, the journal and directory changes are fsynced before the step that depends on them.
    /// Default true. A killed compactor is safe either way (the page cache survives a process); this only matters
    /// for a power cut on a disk-backed directory, and costs a few disk flushes per run. Off is fine on tmpfs.
    /// </summary>
    internal bool FlushToDisk { get; init; } = true;

    /// <summary>The options used when none are given.</summary>
    public static CompactionOptions Default { get; } = new();

    /// <summary>Test hook: called at every step; a test throws or kills the process there to simulate a crash.</summary>
    internal Action<CompactionStep>? StepHook { get; init; }
}
