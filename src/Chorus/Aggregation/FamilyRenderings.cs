using System.Buffers;
using System.Diagnostics;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// The render stage: writes the emitted families' renderings (<see cref="RenderedFamily"/>) out, formatting the stale
/// ones on every core first, and formats them ahead of a scrape for a collection nobody reads.
/// </summary>
/// <param name="emitted">The families the last collection emitted, in output order (the merge's list, updated in place).</param>
/// <param name="times">The collection's stage times.</param>
internal sealed class FamilyRenderings(List<FamilyState> emitted, CollectionStageTimes times)
{
    // Scrapes written out (not collections ahead): how old a family's renderings are (RenderedFamily.Written).
    private int _scrapesWritten;

    /// <summary>The format and escaping of the last collection written out: what the next scrape most likely asks for again.</summary>
    public (ExpositionFormat Format, EscapingScheme Escaping)? LastWritten { get; private set; }

    /// <summary>How many renderings the emitted families keep, all formats together.</summary>
    public int Kept => emitted.Sum(family => family.Rendered.RenderingsKept);

    /// <summary>Writes every emitted family in <paramref name="format"/> (not what ends the exposition).</summary>
    public void Write(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping)
    {
        LastWritten = (format, escaping);
        long started = Stopwatch.GetTimestamp();
        ParallelRendering.RenderStale(emitted, format, escaping);
        _scrapesWritten++;
        foreach (FamilyState family in emitted)
        {
            family.Rendered.WriteTo(output, family.Output, family.MergedIn, format, escaping);
            family.Rendered.Written(family.MergedIn, format, escaping, _scrapesWritten);
        }

        times.Add(CollectionStage.Render, started);
    }

    /// <summary>
    /// Writes every emitted family in <paramref name="format"/> for a collection ahead whose output a server compresses
    /// ahead of a scrape: as <see cref="Write"/>, but it is not a scrape written out (no family's renderings grow older,
    /// and the format the next scrape most likely asks for stays the last scrape's).
    /// </summary>
    public void WriteAhead(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping)
    {
        ParallelRendering.RenderStale(emitted, format, escaping);
        foreach (FamilyState family in emitted)
        {
            family.Rendered.WriteTo(output, family.Output, family.MergedIn, format, escaping);
        }
    }

    /// <summary>Formats the families merged since they were last formatted in <paramref name="format"/>, writing nothing.</summary>
    /// <param name="format">The format the next scrape most likely asks for.</param>
    /// <param name="escaping">Its escaping scheme.</param>
    /// <param name="onEveryCore">Formats them on every core (nothing else runs yet), not on this thread alone.</param>
    public void RenderAhead(ExpositionFormat format, EscapingScheme escaping, bool onEveryCore = false)
    {
        if (onEveryCore)
        {
            ParallelRendering.RenderStale(emitted, format, escaping);
        }

        foreach (FamilyState family in emitted)
        {
            if (family.Rendered.NeedsRendering(family.MergedIn, format, escaping))
            {
                family.Rendered.Render(family.Output, family.MergedIn, format, escaping);
            }
        }
    }
}
