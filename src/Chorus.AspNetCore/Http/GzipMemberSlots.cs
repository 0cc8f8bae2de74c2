using System.IO.Compression;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// A server's gzip members per slot (one per exposition format and escaping scheme, <see cref="GzipMemberCache"/>): made
/// on the slot's first gzipped scrape, and let go of once no gzipped scrape used them for <see cref="UnusedScrapes"/>.
/// Thread-safe: scrapes of any slot call it at once.
/// </summary>
/// <param name="slots">How many slots there are.</param>
/// <param name="level">The level new parts are compressed at.</param>
/// <param name="letGo">Told the bytes of run arrays let go of (<see cref="GarbageCollectionBetweenScrapes.LetGo"/>), or null.</param>
internal sealed class GzipMemberSlots(int slots, CompressionLevel level, Action<long>? letGo)
{
    /// <summary>
    /// How many gzipped scrapes a slot's members may go unused before they are let go: a client that asked once for
    /// another format (a curl beside Prometheus) does not leave a second compressed copy of the body (6 MB on a
    /// GitLab-sized host, with the arrays that hold it) for the life of the server. As the reader's renderings
    /// (<c>RenderedFamily.Written</c>).
    /// </summary>
    internal const int UnusedScrapes = 4;

    private readonly GzipMemberCache?[] _members = new GzipMemberCache?[slots];

    // Per slot: the gzipped scrape that last used its members (counted in _scrapes).
    private readonly int[] _usedIn = new int[slots];
    private int _scrapes;

    /// <summary>How many slots hold gzip members (tests).</summary>
    internal int Kept => _members.Count(members => members is not null);

    /// <summary>The members of <paramref name="slot"/> for a gzipped scrape, made if it has none; counts the scrape.</summary>
    public GzipMemberCache ForScrape(int slot)
    {
        int scrape = Interlocked.Increment(ref _scrapes);
        Volatile.Write(ref _usedIn[slot], scrape);
        ForgetUnused(scrape);
        ref GzipMemberCache? members = ref _members[slot];
        return Volatile.Read(ref members) ?? Interlocked.CompareExchange(ref members, new GzipMemberCache(level, letGo), null) ?? members!;
    }

    /// <summary>The members of <paramref name="slot"/>, if a scrape made them; not counted as a scrape (a preparation's body).</summary>
    public GzipMemberCache? Peek(int slot) => Volatile.Read(ref _members[slot]);

    /// <summary>Lets go of the members of every slot no gzipped scrape used in the last <see cref="UnusedScrapes"/>.</summary>
    private void ForgetUnused(int scrape)
    {
        for (int slot = 0; slot < _members.Length; slot++)
        {
            GzipMemberCache? members = Volatile.Read(ref _members[slot]);

            // A scrape compressing with them now keeps its own reference; only this one goes, if no scrape took the slot since.
            if (members is not null && scrape - Volatile.Read(ref _usedIn[slot]) > UnusedScrapes
                && Interlocked.CompareExchange(ref _members[slot], null, members) == members)
            {
                letGo?.Invoke(members.RunArrayBytes);
            }
        }
    }
}
