using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// Formats the families a collection merged on every core before they are written out in order. Formatting is the
/// last step of a cold scrape and a big part of it (12,853 lines, about 590 KB, at 10,000 files), and families are
/// independent of each other.
/// </summary>
internal static class ParallelRendering
{
    // Below this much work (in lines formatted; a patched family counts its changed lines and a share for copying the
    // rest), handing work to other threads costs more than it saves.
    private const int MinimumCost = 4096;

    /// <summary>Formats every family of <paramref name="families"/> that needs it, on several threads when worth it.</summary>
    public static void RenderStale(List<FamilyState> families, ExpositionFormat format, EscapingScheme escaping)
    {
        if (Environment.ProcessorCount < 2)
        {
            return;
        }

        List<(FamilyState Family, int Cost)>? stale = null;
        long cost = 0;
        foreach (FamilyState family in families)
        {
            int familyCost = family.Rendered.RenderingCost(family.Output, family.MergedIn, format, escaping);
            if (familyCost > 0)
            {
                (stale ??= []).Add((family, familyCost));
                cost += familyCost;
            }
        }

        if (stale is null || stale.Count < 2 || cost < MinimumCost)
        {
            // Formatted as they are written.
            return;
        }

        // Costliest first, so the families left when a thread runs out of work are cheap ones. Each thread takes the next
        // family one at a time (Parallel.For would hand each thread a contiguous range to start with: one of them
        // all the big families).
        stale.Sort(static (a, b) => b.Cost.CompareTo(a.Cost));
        int next = -1;
        Parallel.For(0, Math.Min(Environment.ProcessorCount, stale.Count), _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < stale.Count; i = Interlocked.Increment(ref next))
            {
                FamilyState family = stale[i].Family;
                family.Rendered.Render(family.Output, family.MergedIn, format, escaping);
            }
        });
    }
}
