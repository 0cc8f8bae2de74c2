using System.Globalization;

namespace Chorus.Exposition;

/// <summary>
/// Formats and parses doubles the way prometheus_client does: <c>floatToGoString</c>, which is Python's
/// <c>repr</c> (shortest round-trip digits, <c>1.0</c>, <c>1e-05</c>, <c>1e+16</c>) with <c>+Inf</c>/<c>-Inf</c>/<c>NaN</c>
/// and Go-style exponents for positive values of 7 to 16 integer digits (<c>1e+06</c>, <c>1e+10</c>).
/// Matching Python's spelling makes Chorus output diff cleanly against Python's; every form is a valid
/// number in both text 0.0.4 and OpenMetrics 1.0.
/// </summary>
internal static class GoFloat
{
    /// <summary>Bytes always enough for one formatted value.</summary>
    public const int MaxLength = 32;

    /// <summary>Formats <paramref name="value"/> into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes).</summary>
    /// <param name="value">The value.</param>
    /// <param name="destination">Where the ASCII bytes go.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Format(double value, Span<byte> destination)
    {
        if (double.IsNaN(value))
        {
            return Copy("NaN"u8, destination);
        }

        if (double.IsInfinity(value))
        {
            return Copy(value > 0 ? "+Inf"u8 : "-Inf"u8, destination);
        }

        // "R" gives the shortest digits that round-trip (what Python's repr uses); only the layout differs.
        Span<byte> raw = stackalloc byte[MaxLength];
        value.TryFormat(raw, out int rawLength, "R", CultureInfo.InvariantCulture);
        Span<byte> digits = stackalloc byte[MaxLength];
        bool negative = raw[0] == (byte)'-';
        ReadOnlySpan<byte> d = Significant(raw[(negative ? 1 : 0)..rawLength], digits, out int decimalPoint);
        int n = 0;
        if (negative)
        {
            destination[n++] = (byte)'-';
        }

        if (d.IsEmpty)
        {
            return n + Copy("0.0"u8, destination[n..]);
        }

        if (decimalPoint > 16 || decimalPoint <= -4)
        {
            // Python repr's scientific form: d[.ddd]e±XX with at least two exponent digits.
            return n + Scientific(d, decimalPoint - 1, destination[n..]);
        }

        if (!negative && decimalPoint > 6)
        {
            // floatToGoString: Go switches to exponents sooner than Python for large positive values.
            return n + Scientific(d, decimalPoint - 1, destination[n..]);
        }

        return n + Positional(d, decimalPoint, destination[n..]);
    }

    /// <summary>
    /// The significant digits of an unsigned "R"-formatted number, normalised to value = 0.D × 10^<paramref name="decimalPoint"/>
    /// with no leading or trailing zeros in D (empty for zero).
    /// </summary>
    private static ReadOnlySpan<byte> Significant(ReadOnlySpan<byte> raw, Span<byte> digits, out int decimalPoint)
    {
        int digitCount = 0;
        int integerDigits = -1;
        int exponent = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'.')
            {
                integerDigits = digitCount;
            }
            else if (b is (byte)'E' or (byte)'e')
            {
                int.TryParse(raw[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent);
                break;
            }
            else
            {
                digits[digitCount++] = b;
            }
        }

        if (integerDigits < 0)
        {
            integerDigits = digitCount;
        }

        int leading = 0;
        while (leading < digitCount && digits[leading] == (byte)'0')
        {
            leading++;
        }

        int end = digitCount;
        while (end > leading && digits[end - 1] == (byte)'0')
        {
            end--;
        }

        decimalPoint = integerDigits - leading + exponent;
        return digits[leading..end];
    }

    /// <summary>Writes 0.D × 10^<paramref name="decimalPoint"/> without an exponent (<c>0.00ddd</c>, <c>dd.ddd</c>, <c>ddd00.0</c>).</summary>
    private static int Positional(ReadOnlySpan<byte> d, int decimalPoint, Span<byte> destination)
    {
        int n = 0;
        if (decimalPoint <= 0)
        {
            destination[n++] = (byte)'0';
            destination[n++] = (byte)'.';
            for (int i = 0; i < -decimalPoint; i++)
            {
                destination[n++] = (byte)'0';
            }

            d.CopyTo(destination[n..]);
            return n + d.Length;
        }

        if (decimalPoint < d.Length)
        {
            d[..decimalPoint].CopyTo(destination[n..]);
            n += decimalPoint;
            destination[n++] = (byte)'.';
            d[decimalPoint..].CopyTo(destination[n..]);
            return n + d.Length - decimalPoint;
        }

        d.CopyTo(destination[n..]);
        n += d.Length;
        for (int i = d.Length; i < decimalPoint; i++)
        {
            destination[n++] = (byte)'0';
        }

        destination[n++] = (byte)'.';
        destination[n++] = (byte)'0';
        return n;
    }

    /// <summary>Formats <paramref name="value"/> as a string (for <c>le</c> label values and tests).</summary>
    /// <param name="value">The value.</param>
    public static string ToString(double value)
    {
        Span<byte> buffer = stackalloc byte[MaxLength];
        int n = Format(value, buffer);
        return System.Text.Encoding.ASCII.GetString(buffer[..n]);
    }

    /// <summary>
    /// Parses a number as Python's <c>float()</c> does for the spellings that occur in <c>le</c> labels and
    /// exposition text: decimal and exponent forms, <c>+Inf</c>/<c>-Inf</c>/<c>inf</c>/<c>infinity</c>, <c>NaN</c>;
    /// surrounding whitespace is ignored. Culture-invariant.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParse(ReadOnlySpan<char> text, out double value)
    {
        text = text.Trim();
        ReadOnlySpan<char> unsigned = text.Length > 0 && text[0] is '+' or '-' ? text[1..] : text;
        bool negative = text.Length > 0 && text[0] == '-';
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (unsigned.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }

        if (unsigned.IsEmpty || !(char.IsAsciiDigit(unsigned[0]) || unsigned[0] == '.'))
        {
            value = 0;
            return false;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static int Scientific(ReadOnlySpan<byte> d, int exponent, Span<byte> destination)
    {
        int n = 0;
        destination[n++] = d[0];
        if (d.Length > 1)
        {
            destination[n++] = (byte)'.';
            d[1..].CopyTo(destination[n..]);
            n += d.Length - 1;
        }

        destination[n++] = (byte)'e';
        destination[n++] = exponent < 0 ? (byte)'-' : (byte)'+';
        int magnitude = Math.Abs(exponent);
        if (magnitude < 10)
        {
            destination[n++] = (byte)'0';
        }

        magnitude.TryFormat(destination[n..], out int written, default, CultureInfo.InvariantCulture);
        return n + written;
    }

    private static int Copy(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }
}
