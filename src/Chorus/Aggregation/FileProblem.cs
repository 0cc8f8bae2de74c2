using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>A file that was skipped or only partly read by a collection.</summary>
/// <param name="FileName">The file name inside the directory.</param>
/// <param name="Kind">What went wrong.</param>
/// <param name="Reason">A human-readable reason.</param>
/// <param name="Damage">For <see cref="FileProblemKind.Damaged"/>: what and where; <see cref="DbDamage.None"/> otherwise.</param>
/// <param name="EntriesKept">For damaged files: how many complete entries before the damage were used.</param>
public sealed record FileProblem(string FileName, FileProblemKind Kind, string Reason, DbDamage Damage, int EntriesKept)
{
    /// <summary>
    /// True when the previous collection did not report this problem for this file (or reported another
    /// one): hosts log a file once when it turns bad, not on every scrape.
    /// </summary>
    public bool IsNew { get; init; } = true;

    /// <summary>One line for logs and the CLI's stderr.</summary>
    public override string ToString() => Kind == FileProblemKind.Damaged
        ? $"{FileName}: damaged at offset {Damage.Offset}: {Reason}; kept {EntriesKept} entries"
        : $"skipped {FileName}: {Reason}";
}
