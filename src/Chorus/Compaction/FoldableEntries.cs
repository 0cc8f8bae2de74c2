using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>
/// The entries of a dead writer's file that a compaction may fold: its complete entries, cut at the first key a
/// reader refuses (<see cref="ExposableKey"/>, or a histogram bucket whose <c>le</c> is not a number), since readers
/// stop there too. Folding exactly those keeps what readers show unchanged, damaged files included.
/// </summary>
internal static class FoldableEntries
{
    public static DbFileScan Of(ReadOnlySpan<byte> data, DbFileScan scan, DbFileKind kind)
    {
        for (int i = 0; i < scan.Entries.Count; i++)
        {
            DbEntry entry = scan.Entries[i];
            if (!ExposableKey.TryParse(data.Slice(entry.KeyOffset, entry.KeyLength), out DbKey? key, out string? error))
            {
                return scan.CutAt(i, new DbDamage(DbDamageKind.InvalidKey, entry.Offset, error ?? "invalid key"));
            }

            if (kind == DbFileKind.Histogram && key.Labels.FirstOrDefault(l => l.Key == "le") is { Key: not null } le && !GoFloat.TryParse(le.Value, out _))
            {
                return scan.CutAt(i, new DbDamage(DbDamageKind.InvalidKey, entry.Offset, $"histogram bucket bound le=\"{le.Value}\" is not a number"));
            }
        }

        return scan;
    }
}
