
namespace Chorus.TestSupport;

/// <summary>
/// Writes <c>.db</c> files byte for byte as prometheus_client lays them out (through <see cref="ReferenceDbFile"/>
/// and <see cref="ReferenceDbKey"/>, not the product's Files code), so a test can read them with the product
/// or damage exactly the bytes it means to.
/// </summary>
/// <param name="layout">The value layout (Chorus's default, the 16-byte one, unless a test asks for 0.16's).</param>
/// <param name="capacity">The file's size before it doubles to fit (prometheus_client starts at 64 KiB).</param>
public sealed class DbFileBuilder(ValueLayout layout = ValueLayout.ValueAndTimestamp16, int capacity = ReferenceDbFile.InitialSize)
{
    private readonly List<(byte[] Key, double Value, double Timestamp)> _entries = [];

    /// <summary>The offset where each entry starts, in the order added (known after <see cref="Build"/>).</summary>
    public List<int> EntryOffsets { get; } = [];

    /// <summary>Adds a sample: its key as <c>json.dumps([family, sample, labels, help], sort_keys=True)</c> and its value.</summary>
    public DbFileBuilder Add(string family, string sample, double value, string help = "help", params (string Name, string Value)[] labels) =>
        AddRaw(ReferenceDbKey.Bytes(family, sample, labels, help), value);

    /// <summary>Adds a sample with a timestamp (what <c>mostrecent</c> gauges write; dropped in the 8-byte layout).</summary>
    public DbFileBuilder Add(string family, string sample, double value, double timestamp, string help = "help", params (string Name, string Value)[] labels) =>
        AddRaw(ReferenceDbKey.Bytes(family, sample, labels, help), value, timestamp);

    /// <summary>Adds an entry whose key bytes are given as they are (valid or not).</summary>
    public DbFileBuilder AddRaw(byte[] key, double value, double timestamp = 0.0)
    {
        _entries.Add((key, value, timestamp));
        return this;
    }

    /// <summary>The complete file: header with <c>used</c>, the entries, zeros up to the capacity (doubled until the entries fit).</summary>
    public byte[] Build()
    {
        EntryOffsets.Clear();
        return ReferenceDbFile.Write(_entries, layout == ValueLayout.Value8 ? 8 : 16, capacity, EntryOffsets);
    }

    /// <summary>Builds the file, writes it to <paramref name="path"/> and returns the path.</summary>
    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }
}
