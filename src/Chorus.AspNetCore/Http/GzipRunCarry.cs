using System.Runtime.InteropServices;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Gathers the members a body keeps from earlier bodies in run arrays they use less than half of
/// (<see cref="GzipRunBuffers"/>), before the body's new members are compressed: at the start of their own array when no
/// response sends it, whose rest then takes new members; else into one array of their own.
/// </summary>
/// <remarks>
/// On a host whose writers change most values between scrapes, a few unchanged members otherwise keep each old array
/// (megabytes, on the large object heap) from being reused, so every body took a new one and the runtime's full
/// collections landed in scrapes: 1–3 MB of new arrays per warm scrape of the GitLab-sized host (docs/benchmarks.md).
/// Carried into an array of their own, they took one of 0.1–3 MB for every body there (the members a scrape found
/// unchanged since its preparation), each of a length the next did not fit, and the body's new members a second array
/// of the body's size: two or three arrays held between scrapes for one body's worth of members. Moved within their
/// array, in the order they sit in it (each to where the last one moved ends, never past where it starts, so none is
/// overwritten before it moves), they leave one. Not thread-safe: the cache calls it under its lock.
/// </remarks>
internal sealed class GzipRunCarry
{
    private readonly Dictionary<GzipRunBuffer, long> _keptBytesByRun = [];
    private readonly Dictionary<GzipRunBuffer, int> _movedTo = [];
    private readonly List<(int Offset, GzipMember Member)> _inPlace = [];
    private readonly List<GzipMember> _carried = [];

    /// <summary>
    /// Gathers the members of <paramref name="used"/> (the body's distinct members) that sit in sparse old arrays, and
    /// returns in <paramref name="open"/> the arrays they were gathered at the start of, with where their free room starts.
    /// </summary>
    public void Carry(IEnumerable<GzipMember> used, GzipRunBuffers buffers, List<(GzipRunBuffer Run, int Start)> open)
    {
        _keptBytesByRun.Clear();
        _movedTo.Clear();
        _inPlace.Clear();
        _carried.Clear();
        open.Clear();
        foreach (GzipMember member in used)
        {
            if (member.Run is { TakenForBody: false } run)
            {
                _keptBytesByRun[run] = _keptBytesByRun.GetValueOrDefault(run) + member.Bytes.Length;
            }
        }

        foreach (GzipMember member in used)
        {
            if (member.Run is { TakenForBody: false } run && _keptBytesByRun[run] * 2 < run.Bytes.Length)
            {
                if (run.Responses > 0)
                {
                    _carried.Add(member);
                }
                else if (MemoryMarshal.TryGetArray(member.Bytes, out ArraySegment<byte> segment))
                {
                    _inPlace.Add((segment.Offset, member));
                }
            }
        }

        MoveInPlace(buffers, open);
        CarryOut(buffers);
    }

    /// <summary>Moves each in-place member to the start of its array, in the order they sit (see the remarks).</summary>
    private void MoveInPlace(GzipRunBuffers buffers, List<(GzipRunBuffer Run, int Start)> open)
    {
        _inPlace.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
        foreach ((int offset, GzipMember member) in _inPlace)
        {
            GzipRunBuffer run = member.Run!;
            int to = _movedTo.GetValueOrDefault(run);
            int length = member.Bytes.Length;
            if (to != offset)
            {
                run.Bytes.AsSpan(offset, length).CopyTo(run.Bytes.AsSpan(to));
            }

            member.Bytes = run.Bytes.AsMemory(to, length);
            _movedTo[run] = to + length;
        }

        foreach ((GzipRunBuffer run, int start) in _movedTo)
        {
            buffers.Reopen(run);
            open.Add((run, start));
        }
    }

    /// <summary>Copies the members of arrays a response still sends into one new array.</summary>
    private void CarryOut(GzipRunBuffers buffers)
    {
        if (_carried.Count == 0)
        {
            return;
        }

        long carriedBytes = 0;
        foreach (GzipMember member in _carried)
        {
            carriedBytes += member.Bytes.Length;
        }

        GzipRunBuffer buffer = buffers.Take((int)carriedBytes);
        int start = 0;
        foreach (GzipMember member in _carried)
        {
            member.Bytes.Span.CopyTo(buffer.Bytes.AsSpan(start));
            member.Bytes = buffer.Bytes.AsMemory(start, member.Bytes.Length);
            member.Run = buffer;
            start += member.Bytes.Length;
        }
    }
}
