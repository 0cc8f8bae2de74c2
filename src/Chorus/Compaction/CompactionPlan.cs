using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>The decisions of one compaction, made from a survey before anything is touched.</summary>
internal sealed class CompactionPlan
{
    private CompactionPlan()
    {
    }

    /// <summary>Archives to write, by archive file name, with the dead files folded into each.</summary>
    public Dictionary<string, PlannedGroup> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Dead files removed without folding, with the reason.</summary>
    public List<(DbFileStatus File, string Reason)> Deletes { get; } = [];

    /// <summary>
    /// Dead writers' damaged files that are not folded (no complete entry, or a gauge that is dropped), renamed to
    /// <c>{name}.damaged</c>. A damaged file with complete entries is folded like any other, then renamed the same way.
    /// </summary>
    public List<(DbFileStatus File, string Reason)> MovesAside { get; } = [];

    /// <summary>The suffix a damaged file moved aside gets (not <c>*.db</c>, so no reader merges it).</summary>
    public const string DamagedSuffix = ".damaged";

    /// <summary>Files left alone.</summary>
    public List<FileAction> Kept { get; } = [];

    /// <summary>Dead Chorus slots whose locks the compactor holds while it works on their files.</summary>
    public HashSet<string> DeadSlots { get; } = new(StringComparer.Ordinal);

    public static CompactionPlan Make(DirectorySurvey survey, CompactionOptions options, DateTime nowUtc)
    {
        var plan = new CompactionPlan();
        foreach ((string name, string reason) in survey.UnusableFiles)
        {
            // Not a readable .db file (a FIFO, a directory, a symbolic link, an unknown name): never touched, but said so.
            plan.Kept.Add(new FileAction(name, FileDisposition.Kept, reason, null, 0));
        }

        foreach (DbFileStatus file in survey.Files)
        {
            IdentityStatus identity = survey.Identities[file.Name.Identity];
            if (identity.Kind == WriterKind.Archive)
            {
                plan.Kept.Add(Keep(file, "archive"));
                continue;
            }

            if (identity.Liveness != Liveness.Dead)
            {
                plan.Kept.Add(Keep(file, $"{identity.Liveness.ToString().ToLowerInvariant()}: {identity.Reason}"));
                continue;
            }

            if (identity.Kind == WriterKind.Slot)
            {
                plan.DeadSlots.Add(identity.Identity);
            }

            if (file.Damage.IsDamaged && file.Entries > 0 && SiblingLayout(survey, file) is { } sibling && sibling != file.Layout)
            {
                // Damage can hide which layout a file has; folding it into the wrong archive would make that archive unreadable to its peers.
                plan.Kept.Add(Keep(file, $"its layout cannot be told for sure (detected {file.Layout}, its writer's other files are {sibling}); left for inspection"));
                continue;
            }

            plan.Place(file, options, nowUtc);
        }

        return plan;
    }

    /// <summary>The layout of an undamaged file of the same writer, or null.</summary>
    private static ValueLayout? SiblingLayout(DirectorySurvey survey, DbFileStatus file) =>
        survey.Files.FirstOrDefault(f => !f.Damage.IsDamaged && f.Layout is not null && f.Name.Identity == file.Name.Identity)?.Layout;

    private void Place(DbFileStatus file, CompactionOptions options, DateTime nowUtc)
    {
        if (file.Damage.IsDamaged && file.Entries == 0)
        {
            // Nothing to salvage, and prometheus_client's collector fails every scrape while it has a *.db name.
            MovesAside.Add((file, $"damaged with no complete entry ({file.Damage}); renamed to {file.FileName}{DamagedSuffix} for inspection"));
            return;
        }

        GaugeMode? mode = file.Name.Mode;
        if (file.Name.Kind == DbFileKind.Gauge && mode is { } m)
        {
            if (m.IsLive())
            {
                Remove(file, "live gauge of a dead process");
                return;
            }

            if (m == GaugeMode.All)
            {
                if (options.AllModeRetention is { } retention && nowUtc - file.LastWriteUtc > retention)
                {
                    Remove(file, $"'all' gauge of a dead process, unchanged for longer than the retention {retention}");
                }
                else
                {
                    Kept.Add(Keep(file, options.AllModeRetention is { } keptFor
                        ? $"'all' gauge of a dead process (one series per process; removed once unchanged for {keptFor})"
                        : "'all' gauge of a dead process (one series per process; kept: retention never)"));
                }

                return;
            }
        }

        if (file.Layout is not { } layout)
        {
            Deletes.Add((file, "dead and empty (no entries)"));
            return;
        }

        if (mode == GaugeMode.MostRecent && layout == ValueLayout.Value8)
        {
            Kept.Add(Keep(file, "mostrecent gauge without timestamps (8-byte layout) cannot be merged"));
            return;
        }

        string archive = ArchiveNames.ArchiveFor(file.Name, layout);
        if (!Groups.TryGetValue(archive, out PlannedGroup? group))
        {
            Groups[archive] = group = new PlannedGroup(archive, file.Name.Kind, mode, layout, []);
        }

        group.Sources.Add(file);
    }

    /// <summary>A dead file that is not folded: deleted, or moved aside when damaged (prometheus_client fails on it, a person may want it).</summary>
    private void Remove(DbFileStatus file, string reason)
    {
        if (file.Damage.IsDamaged)
        {
            MovesAside.Add((file, $"{reason}; damaged ({file.Damage}), renamed to {file.FileName}{DamagedSuffix} for inspection"));
        }
        else
        {
            Deletes.Add((file, reason));
        }
    }

    private static FileAction Keep(DbFileStatus file, string reason) =>
        new(file.FileName, FileDisposition.Kept, file.Damage.IsDamaged ? $"{reason}; damaged ({file.Damage})" : reason, null, file.Length);
}

/// <summary>One archive and the dead files to fold into it.</summary>
internal sealed record PlannedGroup(string Archive, DbFileKind Kind, GaugeMode? Mode, ValueLayout Layout, List<DbFileStatus> Sources);
