using System.Runtime.CompilerServices;

namespace Chorus.Internal;

/// <summary>
/// Lock-free updates of a double that lives in shared memory (a mapped <c>.db</c> file or a pinned slab).
/// Every operation compares the 64-bit pattern, never the double, so NaN cannot spin forever and
/// -0.0 versus +0.0 cannot drop an add (reference/dotnet-measurements.md §1).
/// </summary>
internal static unsafe class AtomicDouble
{
    /// <summary>Reads the value with acquire semantics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Read(double* cell) => BitConverter.Int64BitsToDouble(Volatile.Read(ref *(long*)cell));

    /// <summary>Stores the value with release semantics; an aligned 8-byte store is atomic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(double* cell, double value) => Volatile.Write(ref *(long*)cell, BitConverter.DoubleToInt64Bits(value));

    /// <summary>Adds <paramref name="amount"/>: one inlined compare-and-swap, then a rare retry loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(double* cell, double amount)
    {
        // A plain read is enough for the first attempt: a stale value only makes the CAS fail and retry.
        long current = *(long*)cell;
        long updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + amount);
        if (Interlocked.CompareExchange(ref *(long*)cell, updated, current) != current)
        {
            AddContended(cell, amount);
        }
    }

    /// <summary>Raises the value to <paramref name="target"/> if it is lower (monotonic; never lowers it).</summary>
    public static void RaiseTo(double* cell, double target)
    {
        var spin = default(SpinWait);
        while (true)
        {
            long current = Volatile.Read(ref *(long*)cell);
            if (!(BitConverter.Int64BitsToDouble(current) < target))
            {
                return;
            }

            if (Interlocked.CompareExchange(ref *(long*)cell, BitConverter.DoubleToInt64Bits(target), current) == current)
            {
                return;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddContended(double* cell, double amount)
    {
        var spin = default(SpinWait);
        while (true)
        {
            long current = Volatile.Read(ref *(long*)cell);
            long updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + amount);
            if (Interlocked.CompareExchange(ref *(long*)cell, updated, current) == current)
            {
                return;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
