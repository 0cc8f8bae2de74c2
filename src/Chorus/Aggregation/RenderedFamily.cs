using System.Buffers;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// A family's exposition bytes, per format, kept until the family is merged again: a warm scrape of a directory
/// whose values mostly did not change copies most of its output instead of formatting every number again, and a family
/// whose merge changed only some values (<see cref="MetricFamily.Edits"/>) is patched at those lines
/// (<see cref="RenderingPatch"/>). One rendering per format and escaping scheme (the schemes differ only for names
/// outside the classic set).
/// </summary>
internal sealed class RenderedFamily
{
    private const int Schemes = 4;

    // A first buffer sized for the family's lines (ExpositionWriter.LengthEstimate) instead of growing from nothing: a big
    // family's buffer would otherwise be allocated and copied a dozen times over.
    private const int MinimumCapacity = 256;

    // A rendering buffer with more than this share of itself unused (and at least FittedMinimumBytes long) is replaced by
    // one sized to the last rendering when the family is formatted again: doubling from the first guess left the
    // families of a big host about a quarter empty, and a buffer is kept for as long as its family.
    private const int FittedSlackDivisor = 8;
    private const int FittedMinimumBytes = 64 * 1024;

    // A rendering at least this long is handed to an output that keeps bytes (a big host's response) by reference: below
    // it, a copy costs less than the response's bookkeeping for one more part.
    internal const int KeptMinimumBytes = 16 * 1024;

    private readonly ArrayBufferWriter<byte>?[] _bytes = new ArrayBufferWriter<byte>?[2 * Schemes];

    // Per rendering: the lease of its buffer while responses still send it; formatting the family again then writes
    // into a new buffer, and the lent one is left to the responses (and then the GC).
    private readonly Lent?[] _lent = new Lent?[2 * Schemes];
    private readonly int[] _mergedIn = new int[2 * Schemes];

    // Per rendering: its version (IKeptBytesOutput.WriteKept), taken from one counter for every family whenever its bytes
    // are made anew or patched, so no two renderings' bytes ever share one.
    private readonly long[] _versions = new long[2 * Schemes];
    private static long s_lastVersion;

    // Per rendering: where each sample's value starts in its bytes, so a merge that changed only some values patches
    // those lines (RenderingPatch). Four bytes per sample, next to a line's 40-90.
    private readonly int[]?[] _valueStarts = new int[]?[2 * Schemes];

    // Per format: the underscores rendering had only classic names, so it is also what every other scheme writes.
    private readonly bool[] _classicOnly = new bool[2];

    // Per rendering: the written scrape that last used it (see Written).
    private readonly int[] _usedIn = new int[2 * Schemes];

    /// <summary>How many written scrapes a rendering may go unused before it is let go (<see cref="Written"/>).</summary>
    internal const int UnusedScrapes = 4;

    /// <summary>How many renderings the family keeps (tests).</summary>
    internal int RenderingsKept => _bytes.Count(bytes => bytes is not null);

    /// <summary>Writes <paramref name="family"/> in <paramref name="format"/>, formatting it only if it was merged since the last time.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="family">The family's samples as merged in collection <paramref name="mergedIn"/>.</param>
    /// <param name="mergedIn">The collection that last merged the family.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public void WriteTo(IBufferWriter<byte> output, MetricFamily family, int mergedIn, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        ArrayBufferWriter<byte> bytes = Render(family, mergedIn, format, escaping, out int index);
        if (bytes.WrittenCount >= KeptMinimumBytes && output is IKeptBytesOutput { KeepsBytes: true } keeping)
        {
            Lent lease = _lent[index] is { } lent && lent.Lends(bytes) ? lent : (_lent[index] = new Lent(bytes));
            lease.Add(keeping);
            keeping.WriteKept(bytes.WrittenMemory, lease, _versions[index]);
        }
        else
        {
            output.Write(bytes.WrittenSpan);
        }
    }

    /// <summary>
    /// Notes that the <paramref name="scrape"/>th written scrape wrote the family in <paramref name="format"/>, and lets go of
    /// every rendering that none of the last <see cref="UnusedScrapes"/> wrote (one made for a client that asked once for
    /// another format, a curl beside Prometheus), and at once of one that no scrape ever wrote (made ahead of a first
    /// scrape that asked for another format): each is a second copy of the family's exposition (26 MB on a GitLab-sized
    /// host) that would otherwise stay for the life of the reader, or for the first scrapes, past the compaction that
    /// follows the first response.
    /// </summary>
    public void Written(int mergedIn, ExpositionFormat format, EscapingScheme escaping, int scrape)
    {
        int written = IndexFor(mergedIn, format, escaping);
        _usedIn[written] = scrape;
        for (int i = 0; i < _bytes.Length; i++)
        {
            if (_bytes[i] is not null && (scrape - _usedIn[i] > UnusedScrapes || (_usedIn[i] == 0 && i != written)))
            {
                // A response still sending the buffer holds its own lease; the next use formats into a new buffer.
                _bytes[i] = null;
                _lent[i] = null;
                _valueStarts[i] = null;
                _mergedIn[i] = 0;
                _versions[i] = 0;
            }
        }
    }

    /// <summary>True when <see cref="WriteTo"/> would format the family again (it was merged since it was last formatted).</summary>
    public bool NeedsRendering(int mergedIn, ExpositionFormat format, EscapingScheme escaping) => Stale(IndexFor(mergedIn, format, escaping), mergedIn);

    /// <summary>
    /// What <see cref="Render(MetricFamily, int, ExpositionFormat, EscapingScheme)"/> would cost, counted in lines
    /// formatted: 0 when the rendering is current, the changed lines and a copy of the others when it can be patched,
    /// else every line.
    /// </summary>
    public int RenderingCost(MetricFamily family, int mergedIn, ExpositionFormat format, EscapingScheme escaping)
    {
        int index = IndexFor(mergedIn, format, escaping);
        if (!Stale(index, mergedIn))
        {
            return 0;
        }

        int samples = family.SampleList.Count;
        return Patches(family, index, mergedIn) ? RenderingPatch.Cost(samples, family.Edits.Changed.Count) : samples + 1;
    }

    /// <summary>
    /// Formats <paramref name="family"/> if it was merged since the last time, and returns its bytes. Touches only this
    /// family's state (and caches of its label sets that any thread fills alike), so families may be formatted on
    /// several threads at once.
    /// </summary>
    public ArrayBufferWriter<byte> Render(MetricFamily family, int mergedIn, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores) =>
        Render(family, mergedIn, format, escaping, out _);

    private ArrayBufferWriter<byte> Render(MetricFamily family, int mergedIn, ExpositionFormat format, EscapingScheme escaping, out int index)
    {
        index = IndexFor(mergedIn, format, escaping);
        ArrayBufferWriter<byte> bytes = _bytes[index] ??= new ArrayBufferWriter<byte>(Math.Max(MinimumCapacity, ExpositionWriter.LengthEstimate(family)));
        if (Stale(index, mergedIn))
        {
            bool lent = _lent[index] is { } lease && lease.Lends(bytes) && lease.Outstanding;
            if (lent && CollectionStageTimes.Written)
            {
                // Rare, and costly on a big host (every lent rendering is formatted into a new buffer): say what holds it.
                CollectionStageTimes.WriteNote($"chorus rendering lent: {family.Name} to {_lent[index]!.LastHolder}");
            }

            bytes = _bytes[index] = Patches(family, index, mergedIn)
                ? RenderingPatch.Apply(bytes, _valueStarts[index]!, family.SampleList, family.Edits.Changed, inPlace: !lent)
                : Formatted(family, format, escaping, index, bytes, lent);
            _mergedIn[index] = mergedIn;
            _versions[index] = Interlocked.Increment(ref s_lastVersion);
        }

        return bytes;
    }

    /// <summary>
    /// Formats <paramref name="family"/> in full, noting where each value starts: into <paramref name="last"/>'s buffer
    /// (fitted), or into a new one when a response still sends it (<paramref name="lent"/>).
    /// </summary>
    private ArrayBufferWriter<byte> Formatted(MetricFamily family, ExpositionFormat format, EscapingScheme escaping, int index, ArrayBufferWriter<byte> last, bool lent)
    {
        ArrayBufferWriter<byte> bytes = lent ? new ArrayBufferWriter<byte>(Math.Max(MinimumCapacity, last.WrittenCount + (last.WrittenCount / 16))) : Fitted(last);
        bytes.ResetWrittenCount();
        int samples = family.SampleList.Count;
        int[] valueStarts = _valueStarts[index] is { } kept && kept.Length == samples ? kept : (_valueStarts[index] = new int[samples]);
        bool escaped = ExpositionWriter.WriteFamily(bytes, family, format, escaping, valueStarts);
        if (index == FirstIndex(format))
        {
            _classicOnly[FormatIndex(format)] = !escaped;
        }

        return bytes;
    }

    /// <summary>
    /// True when the rendering at <paramref name="index"/> is of the samples the family's last merge changed only values
    /// of (<see cref="SampleEdits"/>): patching its changed lines gives the bytes formatting anew would.
    /// </summary>
    private bool Patches(MetricFamily family, int index, int mergedIn) =>
        family.Edits.Lead(_mergedIn[index], mergedIn)
        && _bytes[index] is { WrittenCount: > 0 }
        && RenderingPatch.Applies(family.SampleList.Count, _valueStarts[index], family.Edits.Changed);

    /// <summary>
    /// <paramref name="bytes"/>, or a buffer sized to its last rendering (plus a sixteenth) when that left more than an
    /// eighth of a large buffer unused: the next rendering of a family is about as long as the last one.
    /// </summary>
    private static ArrayBufferWriter<byte> Fitted(ArrayBufferWriter<byte> bytes)
    {
        int written = bytes.WrittenCount;
        int capacity = bytes.Capacity;
        return written > 0 && capacity >= FittedMinimumBytes && capacity - written > capacity / FittedSlackDivisor
            ? new ArrayBufferWriter<byte>(Math.Max(MinimumCapacity, written + (written / 16)))
            : bytes;
    }

    private static int FormatIndex(ExpositionFormat format) => format == ExpositionFormat.OpenMetrics ? 1 : 0;

    private static int FirstIndex(ExpositionFormat format) => FormatIndex(format) * Schemes;

    /// <summary>Which rendering serves <paramref name="escaping"/>: the underscores one when it had only classic names.</summary>
    private int IndexFor(int mergedIn, ExpositionFormat format, EscapingScheme escaping)
    {
        int first = FirstIndex(format);
        int index = first + (int)escaping;
        return index != first && _classicOnly[FormatIndex(format)] && _mergedIn[first] == mergedIn && _bytes[first] is { WrittenCount: > 0 } ? first : index;
    }

    private bool Stale(int index, int mergedIn) => _mergedIn[index] != mergedIn || _bytes[index] is not { WrittenCount: > 0 };

    /// <summary>How many outputs still read one rendering buffer (<see cref="IKeptBytesOutput"/>).</summary>
    private sealed class Lent(ArrayBufferWriter<byte> buffer) : IKeptBytesLease
    {
        private int _count;
        private IKeptBytesOutput? _lastHolder;

        /// <summary>The output that took the buffer last (for the stage-time note of a rendering found lent).</summary>
        public IKeptBytesOutput? LastHolder => Volatile.Read(ref _lastHolder);

        /// <summary>True while some output has not released the buffer.</summary>
        public bool Outstanding => Volatile.Read(ref _count) > 0;

        public bool Lends(ArrayBufferWriter<byte> bytes) => ReferenceEquals(buffer, bytes);

        public void Add(IKeptBytesOutput holder)
        {
            Volatile.Write(ref _lastHolder, holder);
            Interlocked.Increment(ref _count);
        }

        public void Release() => Interlocked.Decrement(ref _count);
    }
}
