using System.Globalization;
using System.Text;

namespace Chorus.TestSupport;

/// <summary>
/// The key of a <c>.db</c> entry as prometheus_client writes it, from docs/file-format.md ("Keys"):
/// <c>json.dumps([family, sample, labels, help], sort_keys=True)</c> with Python's defaults. Written for tests
/// without the product's encoder, so a test that checks the product against it checks two implementations.
/// </summary>
public static class ReferenceDbKey
{
    /// <summary>The key text: <c>", "</c> and <c>": "</c> separators, labels sorted by name, non-printable-ASCII as <c>\uXXXX</c>.</summary>
    public static string Text(string family, string sample, IEnumerable<(string Name, string Value)> labels, string help)
    {
        var text = new StringBuilder();
        text.Append('[');
        AppendString(text, family);
        text.Append(", ");
        AppendString(text, sample);
        text.Append(", {");
        bool first = true;
        foreach ((string name, string value) in labels.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            text.Append(first ? "" : ", ");
            AppendString(text, name);
            text.Append(": ");
            AppendString(text, value);
            first = false;
        }

        text.Append("}, ");
        AppendString(text, help);
        text.Append(']');
        return text.ToString();
    }

    /// <summary>The key's bytes (pure ASCII, since every other character is escaped).</summary>
    public static byte[] Bytes(string family, string sample, IEnumerable<(string Name, string Value)> labels, string help) =>
        Encoding.ASCII.GetBytes(Text(family, sample, labels, help));

    // Python's ensure_ascii encoder: short escapes for " \ \n \r \t \b \f, every other character outside
    // 0x20..0x7E as \u with four lowercase hex digits of its UTF-16 code unit (astral characters as a surrogate pair).
    private static void AppendString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                default:
                    if (c is >= ' ' and <= '~')
                    {
                        text.Append(c);
                    }
                    else
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        text.Append('"');
    }
}
