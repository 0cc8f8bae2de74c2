using Chorus.Exposition;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// Decodes each distinct key once and keeps the families. Lookups go by the key's bytes, so a file read
/// cold costs one hash of each entry's key and a warm read none.
/// </summary>
internal sealed class KeyTable
{
    private readonly Dictionary<byte[], ParsedKey> _keys = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], ParsedKey>.AlternateLookup<ReadOnlySpan<byte>> _keysBySpan;
    private readonly Dictionary<string, FamilyState> _families = new(StringComparer.Ordinal);
    private readonly List<FamilyState> _ordered = [];

    // One instance per distinct label set and string: the keys of a host repeat them (every family of an application
    // has the same label sets, a histogram series' buckets share their labels without le, each name recurs in every
    // key), and each key decoded on its own would keep its own copies for as long as the reader lives.
    private readonly Dictionary<LabelSet, LabelSet> _labelSets = new(SortedPairsComparer.Instance);
    private readonly Dictionary<LabelSet, LabelSet>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, string>>> _labelSetsByPairs;

    // The pairs of the key being resolved (one at a time), reused from key to key.
    private KeyValuePair<string, string>[] _pairs = new KeyValuePair<string, string>[8];
    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly KeyStrings _keyStrings;
    private bool _orderDirty;

    public KeyTable()
    {
        _keysBySpan = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
        _keyStrings = new KeyStrings(_strings);
        _labelSetsByPairs = _labelSets.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, string>>>();
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

    /// <summary>Slots held over every family (for tests of bounded memory).</summary>
    public int SlotCount
    {
        get
        {
            int slots = 0;
            foreach (FamilyState family in _ordered)
            {
                slots += family.SlotCount;
            }

            return slots;
        }
    }

    /// <summary>
    /// Drops what only vanished files used: series slots the collection <paramref name="generation"/> did not touch, in
    /// the families it merged (the others were not merged again, so their slots are all still current). Keys and families
    /// stay (they grow with distinct series).
    /// </summary>
    public void Prune(int generation)
    {
        foreach (FamilyState family in _ordered)
        {
            if (family.ChangedIn == generation)
            {
                family.Prune(generation);
            }
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

        if (!ExposableKey.TryParse(key, out DbKey? decoded, out error, _keyStrings))
        {
            return false;
        }

        if (!_families.TryGetValue(decoded.Family, out FamilyState? family))
        {
            family = new FamilyState(decoded.Family, TypeOf(fileKind, decoded), decoded.Help);
            _families.Add(decoded.Family, family);
            _ordered.Add(family);
            _orderDirty = true;
        }

        LabelSet labels = SharedLabels(decoded.Labels);
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
            baseLabels = Shared(labels.Without("le"));
        }

        byte[] keyBytes = key.ToArray();
        parsed = new ParsedKey(keyBytes, family, Shared(decoded.Sample), labels, isBucket, baseLabels, bound);
        _keys.Add(keyBytes, parsed);
        return true;
    }

    /// <summary>The label set of <paramref name="pairs"/>, the instance already held when an earlier key had the same labels.</summary>
    private LabelSet SharedLabels(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        if (_pairs.Length < pairs.Count)
        {
            _pairs = new KeyValuePair<string, string>[pairs.Count];
        }

        Span<KeyValuePair<string, string>> shared = _pairs.AsSpan(0, pairs.Count);
        for (int i = 0; i < shared.Length; i++)
        {
            shared[i] = new(Shared(pairs[i].Key), Shared(pairs[i].Value));
        }

        // A key lists its labels sorted by name (Python's sort_keys), so its set is looked up before one is made; pairs in
        // another order are not found and make their set.
        if (_labelSetsByPairs.TryGetValue(shared, out LabelSet? held))
        {
            return held;
        }

        return Shared(LabelSet.Create(shared));
    }

    private LabelSet Shared(LabelSet labels)
    {
        if (_labelSets.TryGetValue(labels, out LabelSet? held))
        {
            return held;
        }

        _labelSets.Add(labels, labels);
        return labels;
    }

    private string Shared(string text)
    {
        if (_strings.TryGetValue(text, out string? held))
        {
            return held;
        }

        _strings.Add(text);
        return text;
    }

    private static MetricType TypeOf(DbFileKind kind, DbKey key) => kind switch
    {
        DbFileKind.Counter => MetricType.Counter,
        DbFileKind.Gauge => GaugeTypeOf(key),
        DbFileKind.Histogram => MetricType.Histogram,
        _ => MetricType.Summary,
    };

    // Chorus stores info and enum metrics as gauges that prometheus_client's collector can read; their keys
    // tell them apart (docs/architecture.md, "Write path"): an info's sample is `{family}_info`, which no
    // prometheus_client gauge writes, and an enum's state label is named after the family.
    private static MetricType GaugeTypeOf(DbKey key)
    {
        if (key.Sample.Length == key.Family.Length + 5 && key.Sample.StartsWith(key.Family, StringComparison.Ordinal) && key.Sample.EndsWith("_info", StringComparison.Ordinal))
        {
            return MetricType.Info;
        }

        if (key.Sample == key.Family)
        {
            foreach (KeyValuePair<string, string> label in key.Labels)
            {
                if (label.Key == key.Family)
                {
                    return MetricType.StateSet;
                }
            }
        }

        return MetricType.Gauge;
    }
}
