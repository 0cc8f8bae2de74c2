using Chorus.Files;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// Writes <c>.db</c> files by hand with the Files primitives, byte for byte as prometheus_client lays them
/// out, so a test can then damage exactly the bytes it means to.
/// </summary>
internal sealed class DbFileBuilder
{
    private readonly ValueLayout _layout;
    private readonly List<(byte[] Key, double Value)> _entries = [];

    public DbFileBuilder(ValueLayout layout = ValueLayout.Value8) => _layout = layout;

    /// <summary>The offset where each entry starts, in the order added (known after <see cref="Build"/>).</summary>
    public List<int> EntryOffsets { get; } = [];

    /// <summary>Adds a sample: a key as <c>json.dumps([family, sample, labels, help], sort_keys=True)</c> and its value.</summary>
    public DbFileBuilder Add(string family, string sample, double value, string help = "help", params (string Name, string Value)[] labels)
    {
        byte[] key = DbKey.Encode(family, sample, labels.Select(l => l.Name).ToArray(), labels.Select(l => l.Value).ToArray(), help);
        return AddRawKey(key, value);
    }

    /// <summary>Adds an entry whose key bytes are given as they are (valid or not).</summary>
    public DbFileBuilder AddRawKey(byte[] key, double value)
    {
        _entries.Add((key, value));
        return this;
    }

    /// <summary>The complete file: header with <c>used</c>, the entries, zeros up to 64 KiB (or further if needed).</summary>
    public byte[] Build()
    {
        int used = DbFormat.HeaderSize + _entries.Sum(e => DbFormat.EntrySize(e.Key.Length, _layout));
        int capacity = DbFormat.InitialCapacity;
        while (capacity < used)
        {
            capacity *= 2;
        }

        byte[] file = new byte[capacity];
        int offset = DbFormat.HeaderSize;
        EntryOffsets.Clear();
        foreach ((byte[] key, double value) in _entries)
        {
            EntryOffsets.Add(offset);
            offset += DbFormat.WriteEntry(file.AsSpan(offset), key, _layout, value);
        }

        DbFormat.WriteUsed(file, used);
        return file;
    }

    /// <summary>Builds the file and writes it to <paramref name="path"/>.</summary>
    public byte[] WriteTo(string path)
    {
        byte[] bytes = Build();
        File.WriteAllBytes(path, bytes);
        return bytes;
    }
}
