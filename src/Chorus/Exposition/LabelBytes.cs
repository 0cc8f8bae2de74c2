using System.Text;

namespace Chorus.Exposition;

/// <summary>
/// Writes a label set's escaped UTF-8 (<see cref="LabelSet.RenderedUtf8"/>'s bytes) straight into the output. A reader
/// keeps each family's rendered bytes, so a cached rendering per label set besides (18 MiB of a GitLab-sized host's
/// heap, docs/benchmarks.md) is not kept for sets whose names are all classic; the others use their cached rendering.
/// </summary>
internal static class LabelBytes
{
    // Reused by each thread's renderings: a cold scrape renders every label set once (about 300,000 on a big host), and
    // a builder per set made most of what that scrape allocated.
    [ThreadStatic]
    private static StringBuilder? t_renderBuilder;
    private const int RenderBuilderCapacity = 256;

    /// <summary>At least the length of <paramref name="labels"/>' rendering, for sizing the span <see cref="Write"/> writes into.</summary>
    /// <param name="labels">The label set.</param>
    /// <param name="escaping">How names outside the classic set are written.</param>
    public static int MaxLength(LabelSet labels, EscapingScheme escaping)
    {
        if (!labels.HasClassicNames)
        {
            return labels.RenderedUtf8(escaping).Length;
        }

        // Per label: the classic (ASCII) name, '=', two quotes, a comma, and the value at up to three bytes a character
        // (an escaped character takes two).
        int length = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            length += labels.GetName(i).Length + 4 + Encoding.UTF8.GetMaxByteCount(labels.GetValue(i).Length);
        }

        return length;
    }

    /// <summary>Writes <paramref name="labels"/>' rendering into <paramref name="output"/> (at least <see cref="MaxLength"/> long); returns its length.</summary>
    /// <param name="labels">The label set.</param>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="escaping">How names outside the classic set are written.</param>
    public static int Write(LabelSet labels, Span<byte> output, EscapingScheme escaping)
    {
        if (!labels.HasClassicNames)
        {
            ReadOnlySpan<byte> rendered = labels.RenderedUtf8(escaping);
            rendered.CopyTo(output);
            return rendered.Length;
        }

        int n = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (i > 0)
            {
                output[n++] = (byte)',';
            }

            n += WritePair(labels.GetName(i), labels.GetValue(i), output[n..]);
        }

        return n;
    }

    /// <summary>Writes one label with a classic name, <c>name="value"</c>, escaped; returns its length.</summary>
    public static int WritePair(string name, string value, Span<byte> output)
    {
        int n = Encoding.UTF8.GetBytes(name, output);
        output[n++] = (byte)'=';
        return n + WriteQuoted(value, output[n..]);
    }

    /// <summary>
    /// <paramref name="text"/> quoted and escaped as <see cref="NameEscaper.AppendQuoted"/> writes it, in UTF-8. The pieces
    /// between escaped characters are encoded one by one: only ASCII is inserted between them, so a lone surrogate at a
    /// piece's end is lone in the whole text too, and becomes U+FFFD either way.
    /// </summary>
    private static int WriteQuoted(ReadOnlySpan<char> text, Span<byte> output)
    {
        int n = 0;
        output[n++] = (byte)'"';
        while (true)
        {
            int at = text.IndexOfAny('\\', '"', '\n');
            if (at < 0)
            {
                n += Encoding.UTF8.GetBytes(text, output[n..]);
                break;
            }

            n += Encoding.UTF8.GetBytes(text[..at], output[n..]);
            output[n++] = (byte)'\\';
            output[n++] = text[at] == '\n' ? (byte)'n' : (byte)text[at];
            text = text[(at + 1)..];
        }

        output[n++] = (byte)'"';
        return n;
    }

    /// <summary>
    /// <paramref name="labels"/>' rendering in <paramref name="escaping"/>, in an array of its own (what
    /// <see cref="LabelSet.RenderedUtf8"/> caches for a set with a name outside the classic set).
    /// </summary>
    public static byte[] Render(LabelSet labels, EscapingScheme escaping)
    {
        if (labels.Count == 0)
        {
            return [];
        }

        StringBuilder builder = t_renderBuilder ??= new StringBuilder(RenderBuilderCapacity);
        builder.Clear();
        for (int i = 0; i < labels.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            string name = labels.GetName(i);
            if (NameEscaper.IsClassicLabelName(name))
            {
                builder.Append(name);
            }
            else if (escaping == EscapingScheme.AllowUtf8)
            {
                NameEscaper.AppendQuoted(builder, name);
            }
            else
            {
                builder.Append(NameEscaper.Escape(name, escaping, labelName: true));
            }

            builder.Append('=');
            NameEscaper.AppendQuoted(builder, labels.GetValue(i));
        }

        byte[] rendered = Utf8Of(builder);
        if (builder.Capacity > RenderBuilderCapacity * 16)
        {
            // An unusually long set: not worth keeping that much per thread.
            t_renderBuilder = null;
        }

        return rendered;
    }

    /// <summary>The builder's text in UTF-8, without a string in between when it is one chunk (as a cleared builder is).</summary>
    private static byte[] Utf8Of(StringBuilder builder)
    {
        StringBuilder.ChunkEnumerator chunks = builder.GetChunks();
        if (!chunks.MoveNext())
        {
            return [];
        }

        ReadOnlySpan<char> text = chunks.Current.Span;
        if (chunks.MoveNext())
        {
            // Several chunks: a surrogate pair may straddle two, so encode the whole text at once.
            return Encoding.UTF8.GetBytes(builder.ToString());
        }

        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
