namespace Chorus.Aggregation;

/// <summary>
/// Whether a set of doubles adds up exactly in every order: all finite, all multiples of 2^<see cref="LowestBit"/>, and
/// the sum of their absolute values (<see cref="Magnitude"/>) below 2^(53+<see cref="LowestBit"/>), so every partial sum
/// of any order is a multiple of that power of two that fits in a double's 53-bit significand.
/// </summary>
/// <remarks>
/// <see cref="Magnitude"/> is itself added in doubles: while it is below the bound each step is exact, and once the true
/// value reaches the bound (a power of two, so representable) rounding cannot bring it back under, so the test never
/// says exact wrongly.
/// </remarks>
internal readonly record struct ExactSum(int LowestBit, double Magnitude, bool Finite)
{
    /// <summary>No values (exact).</summary>
    public static readonly ExactSum Empty = new(int.MaxValue, 0.0, true);

    /// <summary>True when every order of addition gives the same, exact, sum.</summary>
    public bool IsExact => Finite && (LowestBit == int.MaxValue || Magnitude < Bound(LowestBit));

    /// <summary>These values and <paramref name="value"/>.</summary>
    public ExactSum With(double value) => double.IsFinite(value)
        ? new ExactSum(Math.Min(LowestBit, LowestBitOf(value)), Magnitude + Math.Abs(value), Finite)
        : this with { Finite = false };

    /// <summary>
    /// These values with <paramref name="old"/> (one of them) replaced by <paramref name="value"/>; only for an exact set,
    /// where taking a member's magnitude out is exact (a subset of an exact set is exact) and the lowest bit kept can only
    /// be lower than the rest's, which keeps the bound a safe one.
    /// </summary>
    public ExactSum Replace(double old, double value) => double.IsFinite(value)
        ? new ExactSum(Math.Min(LowestBit, LowestBitOf(value)), Magnitude - Math.Abs(old) + Math.Abs(value), Finite)
        : this with { Finite = false };

    /// <summary>These values and <paramref name="values"/>.</summary>
    public ExactSum WithEach(ReadOnlySpan<double> values)
    {
        ExactSum sum = this;
        foreach (double value in values)
        {
            sum = sum.With(value);
        }

        return sum;
    }

    /// <summary>These values and <paramref name="other"/>'s.</summary>
    public ExactSum Join(ExactSum other) =>
        new(Math.Min(LowestBit, other.LowestBit), Magnitude + other.Magnitude, Finite && other.Finite);

    /// <summary>The exponent of the lowest set bit of a finite <paramref name="value"/> (int.MaxValue for zero).</summary>
    public static int LowestBitOf(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value) & long.MaxValue;
        if (bits == 0)
        {
            return int.MaxValue;
        }

        int biased = (int)(bits >> 52);
        long significand = bits & ((1L << 52) - 1);
        if (biased == 0)
        {
            // Subnormal: no implicit bit, exponent of the lowest bit is -1074.
            return -1074 + System.Numerics.BitOperations.TrailingZeroCount(significand);
        }

        significand |= 1L << 52;
        return biased - 1075 + System.Numerics.BitOperations.TrailingZeroCount(significand);
    }

    private static double Bound(int lowestBit) => lowestBit + 53 > 1023 ? double.PositiveInfinity : Math.ScaleB(1.0, lowestBit + 53);
}
