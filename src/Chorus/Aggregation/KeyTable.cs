using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// Decodes each distinct key once and keeps the families. Lookups go by the key's bytes, so a file read
/// cold costs one hash of each entry's key and a warm read none.
/// </summary>
internal sealed class KeyTable
{
    private readonly Dictionary<byte[], ParsedKey> _keys = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], ParsedKey>.AlternateLookup<ReadOnlySpan<byte>> _keysBySpan;
    private readonly Dictionary<string, FamilyState> _families = new(StringComparer.Ordinal);
    private readonly List<FamilyState> _ordered = [];
    private bool _orderDirty;

    public KeyTable()
    {
        _keysBySpan = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Families sorted by name.</summary>
    public List<FamilyState> OrderedFamilies
    {
        get
        {
            if (_orderDirty)
            {
                _ordered.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                _orderDirty = false;
            }

            return _ordered;
        }
    }

    /// <summary>Finds or decodes a key. A family is created with the type of the file it is first seen in.</summary>
    public bool TryResolve(ReadOnlySpan<byte> key, DbFileKind fileKind, out ParsedKey? parsed, out string? error)
    {
        if (_keysBySpan.TryGetValue(key, out parsed))
        {
            error = null;
            return true;
        }

        if (!DbKey.TryParse(key, out DbKey? decoded, out error))
        {
            return false;
        }

        if (!_families.TryGetValue(decoded!.Family, out FamilyState? family))
        {
            family = new FamilyState(decoded.Family, TypeOf(fileKind), decoded.Help);
            _families.Add(decoded.Family, family);
            _ordered.Add(family);
            _orderDirty = true;
        }

        LabelSet labels = LabelSet.Create(decoded.Labels is KeyValuePair<string, string>[] array ? array : [.. decoded.Labels]);
        bool isBucket = false;
        double bound = double.NaN;
        LabelSet baseLabels = labels;
        if (family.Type == MetricType.Histogram && labels.Find("le") is { } le)
        {
            if (!GoFloat.TryParse(le, out bound))
            {
                error = $"histogram bucket bound le=\"{le}\" is not a number";
                parsed = null;
                return false;
            }

            isBucket = true;
            baseLabels = labels.Without("le");
        }

        parsed = new ParsedKey(family, decoded.Sample, labels, isBucket, baseLabels, bound);
        _keys.Add(key.ToArray(), parsed);
        return true;
    }

    private static MetricType TypeOf(DbFileKind kind) => kind switch
    {
        DbFileKind.Counter => MetricType.Counter,
        DbFileKind.Gauge => MetricType.Gauge,
        DbFileKind.Histogram => MetricType.Histogram,
        _ => MetricType.Summary,
    };
}
