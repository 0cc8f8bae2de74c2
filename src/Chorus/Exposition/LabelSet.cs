using System.Runtime.CompilerServices;
using System.Text;

namespace Chorus.Exposition;

/// <summary>
/// An immutable set of label pairs kept sorted by name (ordinal), compared by value. A set whose names are all classic is
/// written straight into the output (<c>a="x",b="y"</c>, <see cref="LabelBytes"/>); one with another name caches its
/// rendering per escaping scheme.
/// </summary>
/// <remarks>Thread-safe: instances never change after construction; the cached rendering is idempotent.</remarks>
public sealed class LabelSet : IEquatable<LabelSet>
{
    private readonly string[] _names;

    // The values in name order; for a set made by inserting one label into another (a gauge file's pid added to each of
    // its keys' labels, 256,000 sets on a GitLab-sized host), the other set's values, shared, with the inserted value
    // apart: an array of values per such set was 14 MiB of that host's heap (docs/benchmarks.md).
    private readonly string[] _values;
    private readonly string? _inserted;
    private readonly short _insertedAt = -1;
    private readonly int _hash;

    // Renderings per EscapingScheme, only for sets with a name outside the classic set (the others render alike in all,
    // and are written without a cached rendering: a reader keeps each family's rendered bytes, and a cached copy of every
    // label set was 18 MiB of a GitLab-sized host's heap, docs/benchmarks.md). Kept beside the sets, not in a field of
    // each: nearly every set has classic names.
    private static readonly ConditionalWeakTable<LabelSet, byte[]?[]> s_renderedEscaped = [];

    // 0: not known yet, 1: every name is classic, 2: some name is not. Racing threads store the same answer.
    private byte _classicNames;

    // Where a pid label would go among the names (PidLabels, which sorting a big family asks several times a series),
    // plus one; 0 while not known. In the object's padding, as _classicNames is. Racing threads store the same answer.
    private byte _pidAt;

    private LabelSet(string[] names, string[] values)
        : this(names, values, inserted: null, insertedAt: -1)
    {
    }

    private LabelSet(string[] names, string[] values, string? inserted, int insertedAt)
    {
        _names = names;
        _values = values;
        _inserted = inserted;
        _insertedAt = (short)insertedAt;
        var hash = default(HashCode);
        for (int i = 0; i < names.Length; i++)
        {
            hash.Add(names[i], StringComparer.Ordinal);
            hash.Add(ValueAt(i), StringComparer.Ordinal);
        }

        _hash = hash.ToHashCode();
    }

    /// <summary>The set with no labels.</summary>
    public static LabelSet Empty { get; } = new([], []);

    /// <summary>Number of labels.</summary>
    public int Count => _names.Length;

    /// <summary>Creates a set from pairs in any order; for a repeated name the last value wins (as a Python dict does).</summary>
    /// <param name="pairs">Label name/value pairs.</param>
    public static LabelSet Create(ReadOnlySpan<KeyValuePair<string, string>> pairs)
    {
        if (pairs.IsEmpty)
        {
            return Empty;
        }

        var names = new List<string>(pairs.Length);
        var values = new List<string>(pairs.Length);
        foreach (KeyValuePair<string, string> pair in pairs)
        {
            ArgumentNullException.ThrowIfNull(pair.Key, nameof(pairs));
            ArgumentNullException.ThrowIfNull(pair.Value, nameof(pairs));
            int at = BinarySearch(names, pair.Key);
            if (at >= 0)
            {
                values[at] = pair.Value;
            }
            else
            {
                names.Insert(~at, pair.Key);
                values.Insert(~at, pair.Value);
            }
        }

        return new LabelSet([.. names], [.. values]);
    }

    /// <summary>Creates a set from parallel name and value lists.</summary>
    /// <param name="names">Label names.</param>
    /// <param name="values">Label values, one per name.</param>
    public static LabelSet Create(ReadOnlySpan<string> names, ReadOnlySpan<string> values)
    {
        if (names.Length != values.Length)
        {
            throw new ArgumentException("Label names and values differ in number.", nameof(values));
        }

        var pairs = new KeyValuePair<string, string>[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            pairs[i] = new(names[i], values[i]);
        }

        return Create(pairs);
    }

    /// <summary>The name of the label at <paramref name="index"/> (sorted order).</summary>
    /// <param name="index">Position, 0 to <see cref="Count"/> - 1.</param>
    public string GetName(int index) => _names[index];

    /// <summary>The value of the label at <paramref name="index"/> (sorted order).</summary>
    /// <param name="index">Position, 0 to <see cref="Count"/> - 1.</param>
    public string GetValue(int index) => ValueAt(index);

    /// <summary>Where <paramref name="name"/> is among the names (sorted, ordinal): its index, or the complement of where it would go.</summary>
    internal int IndexOfName(string name) => Array.BinarySearch(_names, name, StringComparer.Ordinal);

    /// <summary>Where a <c>pid</c> label would go among the names; negative when the set has one (<see cref="PidLabels"/>).</summary>
    internal int PidInsertionPoint
    {
        get
        {
            int known = Volatile.Read(ref _pidAt);
            if (known != 0)
            {
                return known - 1;
            }

            int at = ~IndexOfName(PidLabels.Name);
            if (at >= 0 && at < byte.MaxValue)
            {
                Volatile.Write(ref _pidAt, (byte)(at + 1));
            }

            return at;
        }
    }

    /// <summary>The value of label <paramref name="name"/>, or null when absent.</summary>
    /// <param name="name">Label name.</param>
    public string? Find(string name)
    {
        int at = Array.BinarySearch(_names, name, StringComparer.Ordinal);
        return at >= 0 ? ValueAt(at) : null;
    }

    /// <summary>A copy with label <paramref name="name"/> set to <paramref name="value"/> (replacing any value it had).</summary>
    /// <param name="name">Label name.</param>
    /// <param name="value">Label value.</param>
    public LabelSet With(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        int at = Array.BinarySearch(_names, name, StringComparer.Ordinal);
        if (at >= 0)
        {
            string[] replaced = ValuesCopy();
            replaced[at] = value;
            return new LabelSet(_names, replaced);
        }

        int insert = ~at;
        string[] names = new string[_names.Length + 1];
        string[] values = new string[_names.Length + 1];
        string[] own = ValuesCopy();
        Array.Copy(_names, names, insert);
        Array.Copy(own, values, insert);
        names[insert] = name;
        values[insert] = value;
        Array.Copy(_names, insert, names, insert + 1, _names.Length - insert);
        Array.Copy(own, insert, values, insert + 1, own.Length - insert);
        return new LabelSet(names, values);
    }

    /// <summary>
    /// As <see cref="With(string, string)"/>, with the names array of the copies kept in <paramref name="sharedNames"/> and
    /// shared by every copy made through it: a reader adds each gauge file's pid to the same key's labels for every writer,
    /// and the names are the same each time. Use one cache per base set and name.
    /// </summary>
    internal LabelSet With(string name, string value, ref string[]? sharedNames)
    {
        int at = Array.BinarySearch(_names, name, StringComparer.Ordinal);
        if (at >= 0)
        {
            return With(name, value);
        }

        int insert = ~at;
        if (sharedNames is not { } names || names.Length != _names.Length + 1 || !string.Equals(names[insert], name, StringComparison.Ordinal))
        {
            names = new string[_names.Length + 1];
            Array.Copy(_names, names, insert);
            names[insert] = name;
            Array.Copy(_names, insert, names, insert + 1, _names.Length - insert);
            sharedNames = names;
        }

        if (_inserted is not null || insert > short.MaxValue)
        {
            // Only one label is kept apart; a set that already has one (not made by a reader) copies its values.
            string[] values = new string[_names.Length + 1];
            string[] own = ValuesCopy();
            Array.Copy(own, values, insert);
            values[insert] = value;
            Array.Copy(own, insert, values, insert + 1, own.Length - insert);
            return new LabelSet(names, values);
        }

        return new LabelSet(names, _values, value, insert);
    }

    /// <summary>A copy without label <paramref name="name"/> (this instance when it is absent).</summary>
    /// <param name="name">Label name.</param>
    public LabelSet Without(string name)
    {
        int at = Array.BinarySearch(_names, name, StringComparer.Ordinal);
        if (at < 0)
        {
            return this;
        }

        if (_names.Length == 1)
        {
            return Empty;
        }

        string[] names = new string[_names.Length - 1];
        string[] values = new string[_names.Length - 1];
        string[] own = ValuesCopy();
        Array.Copy(_names, names, at);
        Array.Copy(own, values, at);
        Array.Copy(_names, at + 1, names, at, names.Length - at);
        Array.Copy(own, at + 1, values, at, values.Length - at);
        return new LabelSet(names, values);
    }

    /// <summary>
    /// The labels escaped for both text formats, without braces: <c>a="x",b="y\n"</c>. Label values escape
    /// <c>\</c>, <c>"</c> and newline (text 0.0.4 and OpenMetrics 1.0 agree); a label name outside the classic set is
    /// quoted (<c>"a.b"="x"</c>) under <see cref="EscapingScheme.AllowUtf8"/> and escaped under the other schemes.
    /// </summary>
    /// <param name="escaping">How names outside the classic set are written.</param>
    internal ReadOnlySpan<byte> RenderedUtf8(EscapingScheme escaping)
    {
        if (HasClassicNames)
        {
            return LabelBytes.Render(this, escaping);
        }

        byte[]?[] renderings = s_renderedEscaped.GetValue(this, static _ => new byte[]?[4]);
        return renderings[(int)escaping] ??= LabelBytes.Render(this, escaping);
    }

    /// <summary>True when every label name is classic (<c>[a-zA-Z_][a-zA-Z0-9_]*</c>), so every escaping scheme renders the set alike.</summary>
    internal bool HasClassicNames
    {
        get
        {
            byte known = Volatile.Read(ref _classicNames);
            if (known == 0)
            {
                known = 1;
                foreach (string name in _names)
                {
                    if (!NameEscaper.IsClassicLabelName(name))
                    {
                        known = 2;
                        break;
                    }
                }

                Volatile.Write(ref _classicNames, known);
            }

            return known == 1;
        }
    }

    /// <inheritdoc />
    public bool Equals(LabelSet? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._hash != _hash || other._names.Length != _names.Length)
        {
            return false;
        }

        for (int i = 0; i < _names.Length; i++)
        {
            if (!string.Equals(_names[i], other._names[i], StringComparison.Ordinal) ||
                !string.Equals(ValueAt(i), other.ValueAt(i), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The hash of <paramref name="pairs"/> in the order given: for pairs sorted by name (ordinal, no name twice, as a
    /// key lists them) it is the hash of the set <see cref="Create(ReadOnlySpan{KeyValuePair{string, string}})"/> makes
    /// of them. With <see cref="EqualsSortedPairs"/>, finds a held set without making one (<see cref="SortedPairsComparer"/>).
    /// </summary>
    internal static int HashPairs(ReadOnlySpan<KeyValuePair<string, string>> pairs)
    {
        var combined = default(HashCode);
        foreach (KeyValuePair<string, string> pair in pairs)
        {
            combined.Add(pair.Key, StringComparer.Ordinal);
            combined.Add(pair.Value, StringComparer.Ordinal);
        }

        return combined.ToHashCode();
    }

    /// <summary>
    /// Whether this set holds exactly <paramref name="pairs"/> in the order given: pairs not sorted by name are never its
    /// own, so looking them up finds nothing and the caller makes their set (see <see cref="HashPairs"/>).
    /// </summary>
    internal bool EqualsSortedPairs(ReadOnlySpan<KeyValuePair<string, string>> pairs)
    {
        if (pairs.Length != _names.Length)
        {
            return false;
        }

        for (int i = 0; i < pairs.Length; i++)
        {
            if (!string.Equals(_names[i], pairs[i].Key, StringComparison.Ordinal) || !string.Equals(ValueAt(i), pairs[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Orders by the sorted (name, value) pairs, ordinal; a prefix sorts first.</summary>
    /// <param name="other">The other set.</param>
    public int CompareTo(LabelSet? other)
    {
        if (other is null)
        {
            return 1;
        }

        int n = Math.Min(_names.Length, other._names.Length);
        for (int i = 0; i < n; i++)
        {
            int c = string.CompareOrdinal(_names[i], other._names[i]);
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(ValueAt(i), other.ValueAt(i));
            if (c != 0)
            {
                return c;
            }
        }

        return _names.Length.CompareTo(other._names.Length);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LabelSet);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <inheritdoc />
    public override string ToString() => "{" + Encoding.UTF8.GetString(RenderedUtf8(EscapingScheme.AllowUtf8)) + "}";

    private static int BinarySearch(List<string> names, string name) => names.BinarySearch(name, StringComparer.Ordinal);

    private string ValueAt(int index)
    {
        if (_inserted is null || index < _insertedAt)
        {
            return _values[index];
        }

        return index == _insertedAt ? _inserted : _values[index - 1];
    }

    /// <summary>The values in name order, in an array of their own.</summary>
    private string[] ValuesCopy()
    {
        var values = new string[_names.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ValueAt(i);
        }

        return values;
    }
}
