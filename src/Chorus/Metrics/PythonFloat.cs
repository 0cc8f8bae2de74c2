using System.Globalization;

namespace Chorus;

/// <summary>
/// Formats doubles as prometheus_client's <c>floatToGoString</c> does for the <c>le</c> label it stores in
/// histogram keys (<c>0.005</c>, <c>1.0</c>, <c>+Inf</c>, <c>1e+06</c>), so Chorus-written keys equal Python's.
/// </summary>
internal static class PythonFloat
{
    /// <summary><c>floatToGoString</c> (the newest spelling: exponents with at least two digits).</summary>
    public static string ToGoString(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        if (double.IsNaN(value))
        {
            return "NaN";
        }

        string repr = Repr(value);
        int dot = repr.IndexOf('.', StringComparison.Ordinal);

        // Go switches to exponents sooner than Python; only positive values matter for le.
        if (value > 0 && dot > 6)
        {
            string mantissa = $"{repr[0]}.{repr[1..dot]}{repr[(dot + 1)..]}".TrimEnd('0', '.');
            return string.Create(CultureInfo.InvariantCulture, $"{mantissa}e+{dot - 1:00}");
        }

        return repr;
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string Repr(double value)
    {
        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // "R" gives the shortest digits that round-trip (as Python's repr), in either notation.
        string roundTrip = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string digits = ShortestDigits(roundTrip, out int exponent);
        string sign = value < 0 ? "-" : string.Empty;
        int decimalPoint = exponent + 1;
        if (decimalPoint <= -4 || decimalPoint > 16)
        {
            string fraction = digits.Length > 1 ? "." + digits[1..] : string.Empty;
            return string.Create(CultureInfo.InvariantCulture, $"{sign}{digits[0]}{fraction}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}");
        }

        if (decimalPoint <= 0)
        {
            return sign + "0." + new string('0', -decimalPoint) + digits;
        }

        if (decimalPoint >= digits.Length)
        {
            return sign + digits + new string('0', decimalPoint - digits.Length) + ".0";
        }

        return sign + digits[..decimalPoint] + "." + digits[decimalPoint..];
    }

    // Splits .NET's round-trip text ("1.5E+16", "0.005", "123.25") into significant digits and a base-10 exponent.
    private static string ShortestDigits(string text, out int exponent)
    {
        int e = text.IndexOfAny(['E', 'e']);
        int extra = 0;
        string mantissa = text;
        if (e >= 0)
        {
            extra = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = text[..e];
        }

        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string integerPart = dot < 0 ? mantissa : mantissa[..dot];
        string fractionPart = dot < 0 ? string.Empty : mantissa[(dot + 1)..];
        string all = integerPart + fractionPart;
        int leadingZeros = 0;
        while (leadingZeros < all.Length - 1 && all[leadingZeros] == '0')
        {
            leadingZeros++;
        }

        string significant = all[leadingZeros..].TrimEnd('0');
        if (significant.Length == 0)
        {
            significant = "0";
        }

        exponent = integerPart.Length - 1 - leadingZeros + extra;
        return significant;
    }
}
