using System.Diagnostics;
using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>
/// A health check of a multiprocess directory for <c>chorus doctor</c>: what is in it, who is alive, what is
/// wrong, what a scrape costs for prometheus_client (estimated) and for Chorus (measured), and what to do.
/// </summary>
public sealed class DirectoryDiagnosis
{
    // prometheus_client 0.16's collector, measured (reference/python-baseline.md): 2-3 us per entry, and about
    // 0.17-0.26 ms per file at 80 entries per file; the per-file part beyond the entries is taken as 20-40 us.
    private static readonly TimeSpan s_pythonPerEntryLow = TimeSpan.FromTicks(20);
    private static readonly TimeSpan s_pythonPerEntryHigh = TimeSpan.FromTicks(30);
    private static readonly TimeSpan s_pythonPerFileLow = TimeSpan.FromTicks(200);
    private static readonly TimeSpan s_pythonPerFileHigh = TimeSpan.FromTicks(400);

    private DirectoryDiagnosis(DirectorySurvey survey, CompactionReport plan, TimeSpan chorusCold, TimeSpan chorusWarm, int problemFiles)
    {
        Survey = survey;
        Plan = plan;
        ChorusColdScrape = chorusCold;
        ChorusWarmScrape = chorusWarm;
        ReaderProblemFiles = problemFiles;
        Entries = survey.Files.Sum(f => (long)f.Entries);
        Layouts = survey.Files.Where(f => f.Layout is not null).GroupBy(f => f.Layout!.Value).ToDictionary(g => g.Key, g => g.Count());
        DamagedFiles = survey.Files.Where(f => f.Damage.IsDamaged).ToList();
        StaleLiveGauges = survey.Files
            .Where(f => f.Name.Mode is { } mode && mode.IsLive() && survey.Identities[f.Name.Identity].Liveness == Liveness.Dead)
            .ToList();
        Recommendations = Recommend();
    }

    /// <summary>The files and identities.</summary>
    public DirectorySurvey Survey { get; }

    /// <summary>What a compaction with default options would do (a dry run).</summary>
    public CompactionReport Plan { get; }

    /// <summary>Total entries in all files.</summary>
    public long Entries { get; }

    /// <summary>Files per value layout; more than one layout means prometheus_client cannot read the directory.</summary>
    public IReadOnlyDictionary<ValueLayout, int> Layouts { get; }

    /// <summary>True when 8-byte and 16-byte files share the directory.</summary>
    public bool MixedLayouts => Layouts.Count > 1;

    /// <summary>Files that cannot be read to their end.</summary>
    public IReadOnlyList<DbFileStatus> DamagedFiles { get; }

    /// <summary>Live-mode gauge files of dead writers: their values still count until someone removes them.</summary>
    public IReadOnlyList<DbFileStatus> StaleLiveGauges { get; }

    /// <summary>Measured: one cold Chorus collection (a new reader in a warmed-up process: every file read and parsed).</summary>
    public TimeSpan ChorusColdScrape { get; }

    /// <summary>Measured: the following (warm, incremental) Chorus collection.</summary>
    public TimeSpan ChorusWarmScrape { get; }

    /// <summary>Files the Chorus reader reported problems with.</summary>
    public int ReaderProblemFiles { get; }

    /// <summary>Estimated <c>MultiProcessCollector.collect()</c> time for prometheus_client, low and high.</summary>
    public (TimeSpan Low, TimeSpan High) PythonScrapeEstimate => Estimate(Survey.Files.Count, Entries);

    /// <summary>The same estimate after the compaction in <see cref="Plan"/>.</summary>
    public (TimeSpan Low, TimeSpan High) PythonScrapeEstimateAfterCompaction
    {
        get
        {
            long removedEntries = Plan.Files.Where(f => f.Disposition != FileDisposition.Kept)
                .Sum(f => (long)(Survey.Files.FirstOrDefault(s => s.FileName == f.FileName)?.Entries ?? 0));

            // Folded entries reappear once per distinct key in the archives; count them as a tenth (keys repeat across processes).
            return Estimate(Plan.FilesAfter, Entries - removedEntries + (removedEntries / 10));
        }
    }

    /// <summary>What to do, most important first.</summary>
    public IReadOnlyList<string> Recommendations { get; }

    /// <summary>Examines <paramref name="directory"/>: a survey, a dry-run compaction and two timed Chorus collections.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static DirectoryDiagnosis Examine(string directory)
    {
        DirectorySurvey survey = DirectorySurvey.Take(directory);
        CompactionReport plan = Compactor.Run(directory, new CompactionOptions { DryRun = true });
        using (MultiProcessDirectory warmUp = MultiProcessDirectory.Open(directory))
        {
            // Keeps JIT compilation out of the cold measurement: cold means a new reader, not a new process.
            warmUp.CollectFamilies();
        }

        using MultiProcessDirectory reader = MultiProcessDirectory.Open(directory);
        long started = Stopwatch.GetTimestamp();
        reader.CollectFamilies();
        TimeSpan cold = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        reader.CollectFamilies();
        TimeSpan warm = Stopwatch.GetElapsedTime(started);
        int problems = reader.LastReport.Problems.Select(p => p.FileName).Distinct(StringComparer.Ordinal).Count();
        return new DirectoryDiagnosis(survey, plan, cold, warm, problems);
    }

    private static (TimeSpan, TimeSpan) Estimate(int files, long entries) =>
        ((s_pythonPerEntryLow * entries) + (s_pythonPerFileLow * files), (s_pythonPerEntryHigh * entries) + (s_pythonPerFileHigh * files));

    private List<string> Recommend()
    {
        var advice = new List<string>();
        if (Survey.WritersInvisible)
        {
            advice.Add("Some writers cannot be seen from here (another PID namespace?): run chorus in the writers' container or pod, or give each one its own directory. Compaction refuses until then.");
        }

        if (Survey.JournalError is { } journalError)
        {
            advice.Add($"The compaction journal is unreadable ({journalError}). It is written atomically, so something outside Chorus damaged it; compaction refuses to run until an operator restores or removes it (docs/operations.md, 'Faults'). Readers keep serving meanwhile.");
        }
        else if (Survey.JournalPresent)
        {
            advice.Add("An interrupted compaction left its journal: run 'chorus compact' to finish or undo it.");
        }

        if (MixedLayouts)
        {
            advice.Add("8-byte and 16-byte files share the directory: prometheus_client reads only one layout and fails on the other. Wipe the directory at start-up and run one prometheus_client version (or set Chorus writers to the same layout).");
        }

        if (DamagedFiles.Count > 0)
        {
            advice.Add($"{DamagedFiles.Count} damaged file(s): prometheus_client's collector fails the whole scrape on them. Compaction folds a dead writer's damaged file's complete entries (what readers show of it) and renames the file to NAME{CompactionPlan.DamagedSuffix} ({DamagedFiles.Count(d => Plan.Files.Any(a => a.FileName == d.FileName && a.Disposition != FileDisposition.Kept))} of them now); a live writer's file is never touched, so inspect those with 'chorus inspect FILE'.");
        }

        int removable = Plan.FoldedCount + Plan.DeletedCount + Plan.MovedAsideCount;
        if (removable > 0 && Plan.Refusal is null)
        {
            advice.Add($"Run 'chorus compact --dir {Survey.Directory}' (or 'chorus serve --compact-every 60s'): it removes {removable} file(s) of dead writers, {Survey.Files.Count} -> {Plan.FilesAfter} files.");
        }

        if (StaleLiveGauges.Count > 0)
        {
            advice.Add($"{StaleLiveGauges.Count} live gauge file(s) of dead processes still count in live* gauges (nobody called mark_process_dead): compaction deletes them.");
        }

        int deadPids = Survey.Identities.Values.Count(i => i.Kind == WriterKind.Pid && i.Liveness == Liveness.Dead);
        if (deadPids > 0 && !Survey.Identities.Values.Any(i => i.Kind == WriterKind.Slot))
        {
            advice.Add($"{deadPids} dead PID identities: every recycled worker adds files. Use chorus_slot (integrations/python/chorus_slot.py) so files are bounded by the number of workers, or wipe the directory at start-up.");
        }

        int deadAll = Plan.Files.Count(f => f.Reason.StartsWith("'all' gauge of a dead process", StringComparison.Ordinal));
        if (deadAll > 0)
        {
            advice.Add($"{deadAll} 'all'-mode gauge file(s) of dead processes (one series each): compaction ('chorus compact', 'chorus serve --compact-every') removes each once it is unchanged for {CompactionOptions.DefaultAllModeRetention.TotalMinutes:0} minutes (--all-retention sets another time; 'never' keeps them, as prometheus_client does).");
        }

        if (advice.Count == 0)
        {
            advice.Add("Healthy: nothing to do.");
        }

        return advice;
    }
}
