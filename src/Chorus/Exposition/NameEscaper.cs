using System.Buffers;
using System.Globalization;
using System.Text;

namespace Chorus.Exposition;

/// <summary>
/// Metric and label names per the Prometheus escaping-schemes spec. Classic names (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>;
/// label names without <c>:</c>) are written as they are in every scheme, as client_golang does; any other name is
/// quoted under <see cref="EscapingScheme.AllowUtf8"/> and escaped to a classic name under the others.
/// </summary>
/// <remarks>
/// A sample name is escaped as its family's name plus the sample's suffix (<c>my.metric_bucket</c> →
/// <c>my_dot_metric_bucket</c> under <c>dots</c>, like client_golang), so the sample still names its family's
/// <c># TYPE</c> line; escaping the whole sample name, as prometheus_client does, would double the suffix's
/// underscore under <c>dots</c> and <c>values</c> and part the samples from their family.
/// </remarks>
internal static class NameEscaper
{
    private static readonly SearchValues<char> s_metricNameChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");

    private static readonly SearchValues<char> s_labelNameChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    /// <summary>True for <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    /// <param name="name">The name.</param>
    public static bool IsClassicMetricName(ReadOnlySpan<char> name) =>
        !name.IsEmpty && !char.IsAsciiDigit(name[0]) && !name.ContainsAnyExcept(s_metricNameChars);

    /// <summary>True for <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    /// <param name="name">The name.</param>
    public static bool IsClassicLabelName(ReadOnlySpan<char> name) =>
        !name.IsEmpty && !char.IsAsciiDigit(name[0]) && !name.ContainsAnyExcept(s_labelNameChars);

    /// <summary>
    /// A metric name as it is written outside quotes under <paramref name="scheme"/> (not <see cref="EscapingScheme.AllowUtf8"/>,
    /// which quotes instead): the family's part escaped, the rest (the sample's suffix) made classic.
    /// </summary>
    /// <param name="name">A family, header or sample name.</param>
    /// <param name="familyName">The family's name.</param>
    /// <param name="scheme">The escaping scheme.</param>
    public static string EscapeMetricName(string name, string familyName, EscapingScheme scheme)
    {
        if (IsClassicMetricName(name))
        {
            return name;
        }

        if (name.Length <= familyName.Length || !name.StartsWith(familyName, StringComparison.Ordinal))
        {
            return Escape(name, scheme, labelName: false);
        }

        var builder = new StringBuilder(name.Length + 16);
        AppendEscaped(builder, familyName, scheme, labelName: false);
        AppendClassicTail(builder, name.AsSpan(familyName.Length));
        return builder.ToString();
    }

    /// <summary>
    /// <paramref name="name"/> escaped to a classic name under <paramref name="scheme"/>; a classic name is returned as it is.
    /// </summary>
    /// <param name="name">The metric or label name.</param>
    /// <param name="scheme">Any scheme but <see cref="EscapingScheme.AllowUtf8"/>.</param>
    /// <param name="labelName">True for a label name (<c>:</c> is not classic there).</param>
    public static string Escape(string name, EscapingScheme scheme, bool labelName)
    {
        if (labelName ? IsClassicLabelName(name) : IsClassicMetricName(name))
        {
            return name;
        }

        var builder = new StringBuilder(name.Length + 16);
        AppendEscaped(builder, name, scheme, labelName);
        return builder.ToString();
    }

    /// <summary>
    /// Appends <paramref name="text"/> in double quotes, with <c>\</c>, newline and <c>"</c> escaped: a quoted name under
    /// allow-utf-8, and every label value (the escaping the spec gives both).
    /// </summary>
    /// <param name="builder">Where the text goes.</param>
    /// <param name="text">The name or label value.</param>
    public static void AppendQuoted(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                default: builder.Append(c); break;
            }
        }

        builder.Append('"');
    }

    private static void AppendEscaped(StringBuilder builder, string name, EscapingScheme scheme, bool labelName)
    {
        if (IsClassicName(name, labelName))
        {
            builder.Append(name);
            return;
        }

        if (scheme == EscapingScheme.Values)
        {
            builder.Append("U__");
        }

        ReadOnlySpan<char> rest = name;
        bool first = true;
        while (!rest.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf16(rest, out Rune rune, out int consumed);
            rest = rest[consumed..];
            bool classic = status == OperationStatus.Done && IsClassicRune(rune, first, labelName);
            first = false;
            switch (scheme)
            {
                case EscapingScheme.Dots:
                    builder.Append(rune.Value switch
                    {
                        '_' => "__",
                        '.' => "_dot_",
                        _ when classic => rune.ToString(),
                        _ => "__",
                    });
                    break;
                case EscapingScheme.Values:
                    if (rune.Value == '_')
                    {
                        builder.Append("__");
                    }
                    else if (classic)
                    {
                        builder.Append((char)rune.Value);
                    }
                    else if (status != OperationStatus.Done)
                    {
                        // A lone surrogate: the spec's replacement, as client_golang writes it.
                        builder.Append("_FFFD_");
                    }
                    else
                    {
                        builder.Append('_').Append(rune.Value.ToString("x", CultureInfo.InvariantCulture)).Append('_');
                    }

                    break;
                default:
                    builder.Append(classic ? (char)rune.Value : '_');
                    break;
            }
        }
    }

    // A sample's suffix after its family's name (_total, _bucket, ...): classic already, unless the key was odd.
    private static void AppendClassicTail(StringBuilder builder, ReadOnlySpan<char> tail)
    {
        while (!tail.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf16(tail, out Rune rune, out int consumed);
            tail = tail[consumed..];
            builder.Append(status == OperationStatus.Done && IsClassicRune(rune, first: false, labelName: false) ? (char)rune.Value : '_');
        }
    }

    private static bool IsClassicName(string name, bool labelName) => labelName ? IsClassicLabelName(name) : IsClassicMetricName(name);

    private static bool IsClassicRune(Rune rune, bool first, bool labelName)
    {
        int c = rune.Value;
        return c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_'
            || (!first && c is >= '0' and <= '9')
            || (!labelName && c == ':');
    }
}
