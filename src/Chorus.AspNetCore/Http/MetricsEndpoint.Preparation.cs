using Chorus.AspNetCore.Buffers;
using Chorus.Exposition;
using Microsoft.Extensions.Logging;

namespace Chorus.AspNetCore.Http;

/// <content>
/// Scrapes prepared ahead (<see cref="ScrapePreparation"/>, <see cref="ChorusEndpointOptions.PrepareAheadOfScrapes"/>):
/// shortly before a merged directory's next scrape is due, its collection runs ahead and its body is compressed into
/// the gzip members that scrape will find, so the scrape pays only for what changed in the last moments.
/// </content>
internal sealed partial class MetricsEndpoint
{
    /// <summary>The shortest interval between scrapes that is prepared for.</summary>
    internal static readonly TimeSpan PreparedMinimumInterval = TimeSpan.FromSeconds(1);

    private readonly ScrapePreparation? _preparation;

    /// <summary>The scrapes prepared ahead, when they are (tests).</summary>
    internal ScrapePreparation? Preparation => _preparation;

    /// <summary>A scrape's kind for its cadence and its preparation: its format, escaping and whether it is gzipped.</summary>
    private static int KindOf(ScrapeProtocol protocol, bool gzip) => (SlotOf(protocol.Format, protocol.Escaping) * 2) + (gzip ? 1 : 0);

    /// <summary>The preparation of a merged directory's scrapes, when the options ask for it; null otherwise.</summary>
    private ScrapePreparation? CreatePreparation(TimeProvider? time) =>
        _options.PrepareAheadOfScrapes && _directory is not null
            ? new ScrapePreparation(PreparedMinimumInterval, Prepare, e => _logger.LogWarning(e, "Preparing the next scrape failed; it collects as without"), time)
            : null;

    /// <summary>
    /// Collects ahead of a scrape of <paramref name="kind"/> and, for a gzipped one, compresses the body into the members
    /// of its format, then lets the body go: nothing is sent, and nothing is counted as a scrape.
    /// </summary>
    private void Prepare(int kind)
    {
        int slot = kind / 2;
        var protocol = new ScrapeProtocol((ExpositionFormat)(slot / 4), (EscapingScheme)(slot % 4), TextVersion1: false);
        _collections?.BeforePreparation();
        using SegmentedBody body = NewBody("a preparation's body");
        if (_directory!.CollectAhead(body, protocol.Format, protocol.Escaping) is null)
        {
            return;
        }

        body.Seal();

        // The members the last scrape of this kind used; a preparation is not a scrape, so it does not count as one
        // towards letting unused members go (GzipMembersFor).
        if (kind % 2 == 1 && Volatile.Read(ref _gzipMembers[slot]) is { } members)
        {
            members.Release(members.Compress(body, body.WrittenCount, preparation: true));
        }

        _collections?.AfterPreparation(_preparation?.UntilPredictedScrape(kind));
    }
}
