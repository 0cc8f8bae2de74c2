using Chorus.Files;

namespace Chorus.Tests.Support;

/// <summary>Writes <c>.db</c> files the way prometheus_client does (either layout), for tests.</summary>
public sealed class DbFileBuilder(ValueLayout layout = ValueLayout.ValueAndTimestamp16, int capacity = DbFormat.InitialCapacity)
{
    private readonly List<(byte[] Key, double Value, double Timestamp)> _entries = [];

    public DbFileBuilder Add(string family, string sample, double value, string help = "help", double timestamp = 0.0, params (string Name, string Value)[] labels)
    {
        byte[] key = DbKey.Encode(family, sample, labels.Select(l => l.Name).ToArray(), labels.Select(l => l.Value).ToArray(), help);
        return AddRaw(key, value, timestamp);
    }

    public DbFileBuilder AddRaw(byte[] key, double value, double timestamp = 0.0)
    {
        _entries.Add((key, value, timestamp));
        return this;
    }

    /// <summary>The file bytes: header, entries, zero tail up to the capacity.</summary>
    public byte[] Build()
    {
        int used = DbFormat.HeaderSize + _entries.Sum(e => DbFormat.EntrySize(e.Key.Length, layout));
        byte[] data = new byte[Math.Max(capacity, used)];
        int position = DbFormat.HeaderSize;
        foreach ((byte[] key, double value, double timestamp) in _entries)
        {
            position += DbFormat.WriteEntry(data.AsSpan(position), key, layout, value, timestamp);
        }

        DbFormat.WriteUsed(data, used);
        return data;
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }
}
