using System.IO.Hashing;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Where an exposition is cut into gzip members (<see cref="GzipMemberCache"/>): only before a family's <c># HELP</c>
/// line, and only where the cut depends on nothing but the families beside it, so a family whose bytes change moves no
/// cut elsewhere and every other member is found again unchanged on the next scrape.
/// </summary>
/// <remarks>
/// A family of <see cref="OwnMemberBytes"/> or more is a member of its own, or, past <see cref="PieceLines"/> lines,
/// several: a new piece starts every <see cref="PieceLines"/> lines from the family's <c># HELP</c> line, so a value that
/// changes length moves no cut, and the pieces of a big host's families (megabytes each, changing somewhere on every
/// scrape) can be compressed on every core and found again where they did not change. Smaller families travel in groups (a member
/// has about 25 bytes of gzip framing and starts without a dictionary): a group ends before a family whose
/// <c># HELP</c> line hashes to 0 modulo <see cref="GroupSpread"/>, which averages that many families per group while
/// depending only on that line. Size-based grouping would not do: one family growing by a byte would shift every later
/// group's cut and recompress the rest of the body. The application's data and what follows it (the self-metrics and
/// <c># EOF</c>, which change on every scrape) are cut apart, so the tail never drags an application member with it.
/// </remarks>
internal static class GzipMemberCuts
{
    /// <summary>Families at least this long are one member each.</summary>
    /// <remarks>
    /// Small enough that a family live writers change on every scrape (a few KiB of counters or histogram buckets) is
    /// compressed alone, not with the unchanged families of its group; large enough that the member's framing and empty
    /// dictionary cost little.
    /// </remarks>
    public const int OwnMemberBytes = 4 * 1024;

    /// <summary>How many lines a piece of a family of its own holds (the last piece holds the rest).</summary>
    /// <remarks>
    /// Some 40–80 KiB of samples: large enough that the member framing and the deflater set up for each cost little (the
    /// GitLab-sized host's 26 MB body compressed in 64 KiB pieces took 44–52 ms at the fastest level, in one piece 83 ms),
    /// small enough that both cores share a body's pieces evenly.
    /// </remarks>
    public const int PieceLines = 512;

    /// <summary>On average, how many small families share a member.</summary>
    public const int GroupSpread = 4;

    // A comment line: '#' is rare in sample lines, so the vectorised search stops at few candidates ("\n# HELP " would
    // pair '\n' with ' ', which most lines hold).
    private static ReadOnlySpan<byte> CommentLine => "\n#"u8;

    private static ReadOnlySpan<byte> Help => "# HELP "u8;

    /// <summary>Fills <paramref name="cuts"/> with the offsets, ascending, at which a new member starts (never 0 nor the end).</summary>
    /// <param name="body">The whole exposition.</param>
    /// <param name="dataEnd">Where the application's data ends and the scrape's own tail begins.</param>
    /// <param name="cuts">Cleared, then filled.</param>
    public static void Find(ReadOnlySpan<byte> body, int dataEnd, List<int> cuts)
    {
        cuts.Clear();
        int start = 0;
        var cursor = default(Cursor);
        while (start < body.Length)
        {
            start = PartEnd(body, dataEnd, start, ref cursor);
            if (start < body.Length)
            {
                cuts.Add(start);
            }
        }
    }

    /// <summary>
    /// Where the part that starts at <paramref name="start"/> (0 or a cut) ends: the next cut, or the end of the body. Parts
    /// are found one at a time, so a caller can hash each while its bytes are still in the cache the search left them in.
    /// </summary>
    /// <param name="body">The whole exposition.</param>
    /// <param name="dataEnd">Where the application's data ends and the scrape's own tail begins.</param>
    /// <param name="start">Where the part starts.</param>
    /// <param name="cursor">Carried from call to call (start with the default): what the last call learnt of the family at its cut.</param>
    public static int PartEnd(ReadOnlySpan<byte> body, int dataEnd, int start, ref Cursor cursor)
    {
        dataEnd = Math.Clamp(dataEnd, 0, body.Length);
        if (start >= dataEnd)
        {
            return body.Length;
        }

        ReadOnlySpan<byte> data = body[..dataEnd];
        int end = cursor.FamilyEnd > start ? cursor.FamilyEnd : NextFamilyStart(data, start + 1);
        bool inPieces = cursor.InPieces && cursor.FamilyEnd > start;
        cursor = default;
        if (inPieces || end - start >= OwnMemberBytes)
        {
            int pieceEnd = start + AfterLines(data[start..end], PieceLines);
            if (pieceEnd < end)
            {
                cursor = new Cursor(end, InPieces: true);
                return pieceEnd;
            }

            return end;
        }

        while (end < data.Length)
        {
            int nextEnd = NextFamilyStart(data, end + 1);
            if (nextEnd - end >= OwnMemberBytes || StartsGroup(data[end..nextEnd]))
            {
                cursor = new Cursor(nextEnd, InPieces: false);
                return end;
            }

            end = nextEnd;
        }

        return data.Length;
    }

    /// <summary>Where the line after the first <paramref name="lines"/> lines of <paramref name="text"/> starts, or its length.</summary>
    private static int AfterLines(ReadOnlySpan<byte> text, int lines)
    {
        // Whole blocks are skipped by a vectorised count; only the block that holds the last line is walked line by line.
        const int Block = 4096;
        int at = 0;
        while (text.Length - at >= Block)
        {
            int count = text.Slice(at, Block).Count((byte)'\n');
            if (count >= lines)
            {
                break;
            }

            lines -= count;
            at += Block;
        }

        for (; lines > 0; lines--)
        {
            int newline = text[at..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return text.Length;
            }

            at += newline + 1;
        }

        return at;
    }

    /// <summary>The first line at or after <paramref name="from"/> that starts with <c># HELP </c>, or the end.</summary>
    private static int NextFamilyStart(ReadOnlySpan<byte> data, int from)
    {
        while (from < data.Length)
        {
            int comment = data[from..].IndexOf(CommentLine);
            if (comment < 0)
            {
                break;
            }

            int lineStart = from + comment + 1;
            if (data[lineStart..].StartsWith(Help))
            {
                return lineStart;
            }

            from = lineStart;
        }

        return data.Length;
    }

    private static bool StartsGroup(ReadOnlySpan<byte> family)
    {
        int lineEnd = family.IndexOf((byte)'\n');
        ReadOnlySpan<byte> helpLine = lineEnd < 0 ? family : family[..lineEnd];
        return XxHash3.HashToUInt64(helpLine) % GroupSpread == 0;
    }

    /// <summary>What <see cref="PartEnd"/> carries from one cut to the next.</summary>
    /// <param name="FamilyEnd">Where the family at the last cut ends, once measured.</param>
    /// <param name="InPieces">Whether the last cut was inside a family cut into pieces (<see cref="PieceLines"/>).</param>
    public readonly record struct Cursor(int FamilyEnd, bool InPieces);
}
