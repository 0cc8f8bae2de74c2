using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The entries of a file's bytes as <see cref="DbEntryReader"/> finds them, walked once on whichever thread read the
/// file (<see cref="ColdReadAhead"/>), so the thread that resolves keys only looks at keys. What it holds is what
/// <see cref="FileLoader"/>'s own walk of a file never parsed before would find: layout, entries up to the first
/// damage, the position after the last one and the damage.
/// </summary>
internal sealed class WalkedEntries
{
    /// <summary>Probing a few entries decides the layout; the walk checks every entry anyway.</summary>
    public const int ProbeEntries = 8;

    private int[] _offsets = new int[256];
    private int[] _keyLengths = new int[256];
    private int[] _valueOffsets = new int[256];

    // Set when the entries are a reference's (see Take), whose arrays are then read instead of this walk's.
    private EntryReference? _taken;

    /// <summary>False when there was nothing past the header to walk (then no layout is needed either).</summary>
    public bool Walked { get; private set; }

    /// <summary>The layout detected; null when the first entry fits neither (see <see cref="DbDamageKind.UnknownLayout"/>).</summary>
    public ValueLayout? Layout { get; private set; }

    public int Count { get; private set; }

    /// <summary>Where the walk stopped: just past the last complete entry.</summary>
    public int End { get; private set; }

    /// <summary>The damage the walk stopped at, <see cref="DbDamage.None"/> when it reached <c>used</c>.</summary>
    public DbDamage Damage { get; private set; }

    /// <summary>Each entry's offset (its key length field).</summary>
    public ReadOnlySpan<int> Offsets => _taken is { } taken ? taken.Offsets : _offsets.AsSpan(0, Count);

    public ReadOnlySpan<int> KeyLengths => _taken is { } taken ? taken.KeyLengths : _keyLengths.AsSpan(0, Count);

    public ReadOnlySpan<int> ValueOffsets => _taken is { } taken ? taken.ValueOffsets : _valueOffsets.AsSpan(0, Count);

    /// <summary>The reference of this file's kind these entries match (values aside), or null (see <see cref="ColdReadAhead"/>).</summary>
    public EntryReference? Reference { get; set; }

    /// <summary>The entries' values, read by the thread that walked them (see <see cref="ColdReadAhead"/>); null when not read.</summary>
    public EntryValues? Values { get; set; }

    public void Clear()
    {
        _taken = null;
        Reference = null;
        Values = null;
        Walked = false;
        Layout = null;
        Count = 0;
        End = DbFormat.HeaderSize;
        Damage = DbDamage.None;
    }

    /// <summary>Walks <paramref name="data"/> (a file from offset 0) from the header up to <paramref name="used"/>.</summary>
    public void Walk(ReadOnlySpan<byte> data, int used)
    {
        Clear();
        if (used < DbFormat.HeaderSize || Math.Min(used, data.Length) <= DbFormat.HeaderSize)
        {
            return;
        }

        Walked = true;
        Layout = DbLayoutDetector.Detect(data, used, DbFormat.HeaderSize, ProbeEntries);
        if (Layout is null)
        {
            return;
        }

        var reader = new DbEntryReader(data, Layout.Value, used, DbFormat.HeaderSize);
        int count = 0;
        while (reader.TryReadNext(out DbEntry entry))
        {
            if (count == _offsets.Length)
            {
                Array.Resize(ref _offsets, count * 2);
                Array.Resize(ref _keyLengths, count * 2);
                Array.Resize(ref _valueOffsets, count * 2);
            }

            _offsets[count] = entry.Offset;
            _keyLengths[count] = entry.KeyLength;
            _valueOffsets[count] = entry.ValueOffset;
            count++;
        }

        Count = count;
        End = reader.Position;
        Damage = reader.Damage;
    }

    /// <summary>
    /// Takes <paramref name="reference"/>'s entries as what a walk of this file found: only for a file whose walk would
    /// find exactly them (see <see cref="EntryReference.TryTakeAlike"/>).
    /// </summary>
    public void Take(EntryReference reference)
    {
        Clear();
        _taken = reference;
        Reference = reference;
        Walked = true;
        Layout = reference.Layout;
        Count = reference.ValueOffsets.Length;
        End = reference.End;
    }
}
