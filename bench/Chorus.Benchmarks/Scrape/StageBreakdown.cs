using System.Diagnostics;
using System.Runtime.InteropServices;
using Chorus.Files;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// Times the stages every cold scrape of a directory pays, each on its own with nothing cached between
/// runs, using only the Files primitives: list, open + read <c>used</c> bytes, walk entries, hash raw key
/// bytes, parse the distinct keys as JSON. It answers "where does a cold merge's time go" independently
/// of how the merge itself is written.
/// </summary>
internal static class StageBreakdown
{
    /// <summary>Milliseconds per stage (median of <paramref name="repeats"/>), plus counts.</summary>
    public static Dictionary<string, double> Measure(string directory, int repeats)
    {
        var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int r = 0; r < repeats; r++)
        {
            foreach ((string stage, double ms) in RunOnce(directory, counts))
            {
                (samples.TryGetValue(stage, out var list) ? list : samples[stage] = []).Add(ms);
            }
        }

        var result = samples.ToDictionary(s => s.Key, s => Median(s.Value), StringComparer.Ordinal);
        foreach ((string name, double count) in counts)
        {
            result[name] = count;
        }

        return result;
    }

    private static IEnumerable<(string Stage, double Ms)> RunOnce(string directory, Dictionary<string, double> counts)
    {
        var clock = new Lap();
        string[] files = Directory.GetFiles(directory, "*.db");
        foreach (var lap in clock.Stop("list"))
        {
            yield return lap;
        }

        // Read: open, read the header, pread the used bytes, close. Every file's bytes are kept so the later
        // stages measure CPU work only.
        clock.Start();
        var buffers = new List<(byte[] Bytes, long FileLength)>(files.Length);
        long bytesRead = 0;
        Span<byte> header = stackalloc byte[8];
        foreach (string file in files)
        {
            using SafeFileHandle handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            if (RandomAccess.Read(handle, header, 0) < 8)
            {
                continue;
            }

            int used = (int)Math.Min(Math.Max(DbFormat.ReadUsed(header), 8), length);
            byte[] bytes = GC.AllocateUninitializedArray<byte>(used);
            int n = RandomAccess.Read(handle, bytes, 0);
            buffers.Add((bytes, length));
            bytesRead += n;
        }

        foreach (var lap in clock.Stop("open_read_close"))
        {
            yield return lap;
        }
        counts["files"] = files.Length;
        counts["bytes_read"] = bytesRead;

        clock.Start();
        var entries = new List<(int File, DbEntry Entry)>(files.Length * 100);
        for (int f = 0; f < buffers.Count; f++)
        {
            DbFileScan scan = DbFileScan.Scan(buffers[f].Bytes, buffers[f].FileLength);
            foreach (DbEntry entry in scan.Entries)
            {
                entries.Add((f, entry));
            }
        }

        foreach (var lap in clock.Stop("scan_entries"))
        {
            yield return lap;
        }
        counts["entries"] = entries.Count;

        // Hash raw key bytes and find the distinct keys, as a merge keyed by bytes would (no strings made).
        clock.Start();
        var distinct = new Dictionary<KeyBytes, int>(4096);
        double valueSum = 0;
        foreach ((int f, DbEntry entry) in entries)
        {
            var key = new KeyBytes(buffers[f].Bytes, entry.KeyOffset, entry.KeyLength);
            ref int seen = ref CollectionsMarshal.GetValueRefOrAddDefault(distinct, key, out _);
            seen++;
            valueSum += DbFileScan.ReadValue(buffers[f].Bytes, entry);
        }

        foreach (var lap in clock.Stop("hash_keys_and_read_values"))
        {
            yield return lap;
        }
        counts["distinct_keys"] = distinct.Count;
        GC.KeepAlive(valueSum);

        clock.Start();
        int parsed = 0;
        foreach (KeyBytes key in distinct.Keys)
        {
            if (DbKey.TryParse(key.Span, out _, out _))
            {
                parsed++;
            }
        }

        foreach (var lap in clock.Stop("parse_distinct_keys"))
        {
            yield return lap;
        }

        clock.Start();
        int parsedAll = 0;
        foreach ((int f, DbEntry entry) in entries)
        {
            if (DbKey.TryParse(buffers[f].Bytes.AsSpan(entry.KeyOffset, entry.KeyLength), out _, out _))
            {
                parsedAll++;
            }
        }

        foreach (var lap in clock.Stop("parse_every_key"))
        {
            yield return lap;
        }
        GC.KeepAlive(parsed + parsedAll);
    }

    /// <summary>Wall and process CPU time (user + system) of one stage: CPU is what a loaded, shared machine inflates least.</summary>
    private sealed class Lap
    {
        private readonly Stopwatch _wall = new();
        private double _cpuStart;

        public Lap() => Start();

        public void Start()
        {
            _cpuStart = ProcessCpu.Milliseconds();
            _wall.Restart();
        }

        public (string Stage, double Ms)[] Stop(string stage)
        {
            double wall = _wall.Elapsed.TotalMilliseconds;
            double cpu = ProcessCpu.Milliseconds() - _cpuStart;
            return [(stage + "_ms", wall), (stage + "_cpu_ms", cpu)];
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>A key as a slice of a file buffer, compared and hashed by content.</summary>
    private readonly struct KeyBytes(byte[] buffer, int offset, int length) : IEquatable<KeyBytes>
    {
        public ReadOnlySpan<byte> Span => buffer.AsSpan(offset, length);

        public bool Equals(KeyBytes other) => Span.SequenceEqual(other.Span);

        public override bool Equals(object? obj) => obj is KeyBytes other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.AddBytes(Span);
            return hash.ToHashCode();
        }
    }
}
