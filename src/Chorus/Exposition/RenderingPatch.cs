using System.Buffers;
using System.Runtime.InteropServices;

namespace Chorus.Exposition;

/// <summary>
/// Rewrites the values that changed in a family's rendering instead of writing the family again: the bytes between
/// changed values (names, labels, unchanged values, the header) are copied, or moved in place, and only the changed
/// values are formatted, by the writer's own <see cref="ExpositionWriter.WriteValue"/>. The result is byte for byte what
/// <see cref="ExpositionWriter"/> writes for the new samples, in either format and any escaping scheme.
/// </summary>
/// <remarks>
/// A rendering is one family's bytes as <c>ExpositionWriter.WriteFamily</c> wrote them, with the offset of each sample's
/// value; the value ends at the first newline after it (the line's end: a value never holds one).
/// </remarks>
internal static class RenderingPatch
{
    // What formatting one line (name, labels and value) costs next to copying one, for who weighs a patch against
    // formatting a family in full: 15 to 20 in RenderingPatchBenchmarks (docs/benchmarks.md).
    private const int CopiedLinesPerFormattedLine = 16;

    /// <summary>True when <paramref name="changed"/> can patch a rendering of <paramref name="samples"/> samples with <paramref name="valueStarts"/>: one start per sample, indices ascending and in range.</summary>
    /// <param name="samples">How many samples the family has now.</param>
    /// <param name="valueStarts">The rendering's value offsets, one per sample it was written with.</param>
    /// <param name="changed">The indices of the samples whose value changed.</param>
    public static bool Applies(int samples, int[]? valueStarts, List<int> changed)
    {
        if (valueStarts is null || valueStarts.Length != samples)
        {
            return false;
        }

        int previous = -1;
        foreach (int index in changed)
        {
            if (index <= previous || index >= samples)
            {
                return false;
            }

            previous = index;
        }

        return true;
    }

    /// <summary>What patching costs, counted in lines formatted: each changed line, and copying the others.</summary>
    /// <param name="samples">The family's samples.</param>
    /// <param name="changed">How many of their values changed.</param>
    public static int Cost(int samples, int changed) => changed + (samples / CopiedLinesPerFormattedLine) + 1;

    /// <summary>Rewrites the changed values of <paramref name="rendering"/>, in place when allowed and the buffer is long enough.</summary>
    /// <param name="rendering">The family's rendering of its samples before the values at <paramref name="changed"/> changed.</param>
    /// <param name="valueStarts">Where each sample's value starts in <paramref name="rendering"/>; updated to the patched rendering's.</param>
    /// <param name="samples">The samples now: the names and labels rendered, in the same order, with new values at <paramref name="changed"/>.</param>
    /// <param name="changed">The indices of the changed samples, ascending (<see cref="Applies"/>).</param>
    /// <param name="inPlace">Whether <paramref name="rendering"/>'s buffer may be written: nobody else reads it.</param>
    /// <returns><paramref name="rendering"/>, patched in place, or a new buffer with the patched rendering.</returns>
    public static ArrayBufferWriter<byte> Apply(ArrayBufferWriter<byte> rendering, Span<int> valueStarts, List<Sample> samples, List<int> changed, bool inPlace)
    {
        if (changed.Count == 0)
        {
            return rendering;
        }

        // Per changed value: its old and its new text's length, and the new text.
        int[] lengths = ArrayPool<int>.Shared.Rent(2 * changed.Count);
        byte[] values = ArrayPool<byte>.Shared.Rent(changed.Count * ExpositionWriter.MaxValueLength);
        try
        {
            int growth = FormatValues(rendering.WrittenSpan, valueStarts, samples, changed, lengths, values);
            int length = rendering.WrittenCount + growth;
            byte[] buffer = BufferOf(rendering);
            bool patchesInPlace = inPlace && length <= buffer.Length;
            ArrayBufferWriter<byte> patched = patchesInPlace ? rendering : new ArrayBufferWriter<byte>(length + (length / 16));
            Span<byte> target = patchesInPlace ? buffer : patched.GetSpan(length);
            var spans = new ChangedSpans(valueStarts, changed, lengths);
            MoveUnchanged(buffer.AsSpan(0, rendering.WrittenCount), target, spans, growth, patchesInPlace);
            WriteValues(target, spans, values);
            ShiftValueStarts(valueStarts, spans);
            if (patchesInPlace)
            {
                rendering.ResetWrittenCount();
            }

            patched.Advance(length);
            return patched;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(lengths);
            ArrayPool<byte>.Shared.Return(values);
        }
    }

    /// <summary>Formats the changed values into <paramref name="values"/> (one slot each) and notes both lengths; returns how much longer the rendering gets.</summary>
    private static int FormatValues(ReadOnlySpan<byte> rendering, ReadOnlySpan<int> valueStarts, List<Sample> samples, List<int> changed, Span<int> lengths, Span<byte> values)
    {
        int growth = 0;
        for (int k = 0; k < changed.Count; k++)
        {
            int sample = changed[k];
            int start = valueStarts[sample];
            int before = rendering[start..].IndexOf((byte)'\n');
            int after = ExpositionWriter.WriteValue(samples[sample].Value, values.Slice(k * ExpositionWriter.MaxValueLength, ExpositionWriter.MaxValueLength));
            lengths[2 * k] = before;
            lengths[(2 * k) + 1] = after;
            growth += after - before;
        }

        return growth;
    }

    /// <summary>
    /// Copies or moves the unchanged bytes to where the patched rendering has them. Piece k runs from the end of changed
    /// value k - 1 (from the start for k = 0) to the start of changed value k (to the end for the last piece) and moves
    /// by the growth of the values before it.
    /// </summary>
    private static void MoveUnchanged(ReadOnlySpan<byte> source, Span<byte> target, ChangedSpans spans, int growth, bool inPlace)
    {
        // In place, a piece moving left goes before those after it and one moving right after them, so none is written
        // over before it has moved; a piece moving left and a later one moving right (or the other way) only move into
        // the old text of the changed values between them.
        int shift = 0;
        for (int k = 0; k <= spans.Count; k++)
        {
            if (!inPlace || shift < 0)
            {
                source[spans.PieceStart(k)..spans.PieceEnd(k, source.Length)].CopyTo(target[(spans.PieceStart(k) + shift)..]);
            }

            shift += k < spans.Count ? spans.Growth(k) : 0;
        }

        if (!inPlace)
        {
            return;
        }

        shift = growth;
        for (int k = spans.Count; k >= 0; k--)
        {
            if (shift > 0)
            {
                source[spans.PieceStart(k)..spans.PieceEnd(k, source.Length)].CopyTo(target[(spans.PieceStart(k) + shift)..]);
            }

            shift -= k > 0 ? spans.Growth(k - 1) : 0;
        }
    }

    /// <summary>Writes the changed values' new text where the patched rendering has them (after every unchanged byte has moved).</summary>
    private static void WriteValues(Span<byte> target, ChangedSpans spans, ReadOnlySpan<byte> values)
    {
        int shift = 0;
        for (int k = 0; k < spans.Count; k++)
        {
            values.Slice(k * ExpositionWriter.MaxValueLength, spans.NewLength(k)).CopyTo(target[(spans.ValueStart(k) + shift)..]);
            shift += spans.Growth(k);
        }
    }

    /// <summary>Moves every sample's value start by the growth of the changed values before it.</summary>
    private static void ShiftValueStarts(Span<int> valueStarts, ChangedSpans spans)
    {
        int shift = 0;
        int first = 0;
        for (int k = 0; k <= spans.Count; k++)
        {
            // The samples after changed value k - 1, up to and including changed value k, move alike.
            int last = k < spans.Count ? spans.Sample(k) : valueStarts.Length - 1;
            if (shift != 0)
            {
                foreach (ref int start in valueStarts[first..(last + 1)])
                {
                    start += shift;
                }
            }

            if (k < spans.Count)
            {
                shift += spans.Growth(k);
                first = last + 1;
            }
        }
    }

    /// <summary>
    /// Where the changed values lie in the rendering before the patch, and how long they are before and after; read only
    /// until <see cref="ShiftValueStarts"/> moves the starts.
    /// </summary>
    private readonly ref struct ChangedSpans(ReadOnlySpan<int> valueStarts, List<int> changed, ReadOnlySpan<int> lengths)
    {
        private readonly ReadOnlySpan<int> _valueStarts = valueStarts;
        private readonly ReadOnlySpan<int> _lengths = lengths;

        public int Count => changed.Count;

        public int Sample(int k) => changed[k];

        public int ValueStart(int k) => _valueStarts[changed[k]];

        public int NewLength(int k) => _lengths[(2 * k) + 1];

        public int Growth(int k) => _lengths[(2 * k) + 1] - _lengths[2 * k];

        public int PieceStart(int k) => k == 0 ? 0 : ValueStart(k - 1) + _lengths[2 * (k - 1)];

        public int PieceEnd(int k, int end) => k < Count ? ValueStart(k) : end;
    }

    private static byte[] BufferOf(ArrayBufferWriter<byte> rendering) =>
        MemoryMarshal.TryGetArray(rendering.WrittenMemory, out ArraySegment<byte> segment) && segment.Array is { } array
            ? array
            : throw new InvalidOperationException("An ArrayBufferWriter is backed by an array.");
}
