namespace Chorus.AspNetCore.Http;

/// <summary>
/// Copies the members a body keeps from earlier bodies out of run blocks they use less than half of, into one block of
/// their own (<see cref="GzipRunBuffers"/>), once the body's new members are published.
/// </summary>
/// <remarks>
/// On a host whose writers change most values between scrapes, a few unchanged members otherwise keep each old block
/// (megabytes) from being given back, and each body takes a new one. A response still sending an old block keeps it until
/// it is released. Not thread-safe: the cache calls it under its lock.
/// </remarks>
internal sealed class GzipRunCarry
{
    private readonly Dictionary<GzipRunBuffer, long> _keptBytesByRun = [];
    private readonly List<GzipMember> _carried = [];

    /// <summary>Carries the members of <paramref name="used"/> (the body's distinct members) that sit in sparse old blocks.</summary>
    public void Carry(IEnumerable<GzipMember> used, GzipRunBuffers buffers)
    {
        _keptBytesByRun.Clear();
        _carried.Clear();
        foreach (GzipMember member in used)
        {
            if (member.Run is { TakenForBody: false } run)
            {
                _keptBytesByRun[run] = _keptBytesByRun.GetValueOrDefault(run) + member.Bytes.Length;
            }
        }

        long carriedBytes = 0;
        foreach (GzipMember member in used)
        {
            if (member.Run is { TakenForBody: false } run && _keptBytesByRun[run] * 2 < run.Length)
            {
                _carried.Add(member);
                carriedBytes += member.Bytes.Length;
            }
        }

        if (_carried.Count == 0)
        {
            return;
        }

        GzipRunBuffer buffer = buffers.Take((int)carriedBytes);
        int start = 0;
        foreach (GzipMember member in _carried)
        {
            member.Bytes.Span.CopyTo(buffer.SpanFrom(start));
            member.Bytes = buffer.Slice(start, member.Bytes.Length);
            member.Run = buffer;
            start += member.Bytes.Length;
        }
    }
}
