using System.Buffers.Binary;

namespace Chorus.Files;

/// <summary>
/// Walks the entries of a <c>.db</c> file held in memory, bounds-checking every length and offset.
/// Stops at the first damaged entry and reports it through <see cref="Damage"/>; every entry returned
/// before that is complete.
/// </summary>
internal ref struct DbEntryReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly ValueLayout _layout;
    private readonly int _limit;
    private int _position;
    private DbDamage _damage;

    /// <summary>Creates a reader over <paramref name="data"/> (the file from offset 0).</summary>
    /// <param name="data">The file bytes from offset 0; may be shorter than <paramref name="used"/>.</param>
    /// <param name="layout">The value layout to assume.</param>
    /// <param name="used">The header's <c>used</c> value: the reader never reads at or past it.</param>
    /// <param name="start">Where to start: the header size, or the <c>used</c> of an earlier pass to read only new entries.</param>
    public DbEntryReader(ReadOnlySpan<byte> data, ValueLayout layout, int used, int start = DbFormat.HeaderSize)
    {
        _data = data;
        _layout = layout;
        _limit = Math.Min(used, data.Length);
        _position = start;
        _damage = DbDamage.None;
    }

    /// <summary>The offset just past the last complete entry returned.</summary>
    public readonly int Position => _position;

    /// <summary>Damage found so far; <see cref="DbDamageKind.None"/> while the walk is clean.</summary>
    public readonly DbDamage Damage => _damage;

    /// <summary>Returns the next complete entry, or false at the end of the used region or at damage.</summary>
    public bool TryReadNext(out DbEntry entry)
    {
        entry = default;
        if (_damage.IsDamaged || _position >= _limit)
        {
            return false;
        }

        int remaining = _limit - _position;
        if (remaining < 4)
        {
            return Fail(DbDamageKind.TruncatedEntry, $"{remaining} bytes left before the end, too few for a key length");
        }

        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(_data[_position..]);
        if (keyLength <= 0 || keyLength > remaining - 4)
        {
            return Fail(DbDamageKind.InvalidKeyLength, $"key length {keyLength} with {remaining - 4} bytes left");
        }

        long size = DbFormat.EntrySize(keyLength, _layout);
        if (size > remaining)
        {
            return Fail(DbDamageKind.TruncatedEntry, $"entry of {size} bytes with {remaining} bytes left");
        }

        int keyOffset = _position + 4;
        int valueOffset = _position + DbFormat.ValueOffset(keyLength);
        ReadOnlySpan<byte> key = _data.Slice(keyOffset, keyLength);
        if (key[0] != (byte)'[' || key[^1] != (byte)']')
        {
            return Fail(DbDamageKind.MalformedEntry, "key is not a JSON array");
        }

        if (_data[(keyOffset + keyLength)..valueOffset].IndexOfAnyExcept(DbFormat.PaddingByte) >= 0)
        {
            return Fail(DbDamageKind.MalformedEntry, "padding after the key is not spaces");
        }

        entry = new DbEntry(_position, keyOffset, keyLength, valueOffset);
        _position += (int)size;
        return true;
    }

    private bool Fail(DbDamageKind kind, string detail)
    {
        _damage = new DbDamage(kind, _position, detail);
        return false;
    }
}
