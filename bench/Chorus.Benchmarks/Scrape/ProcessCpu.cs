using System.Runtime.InteropServices;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// User + system CPU time of this process from <c>getrusage</c>, in microseconds: <c>Process.TotalProcessorTime</c>
/// reads <c>/proc</c> in 10 ms clock ticks, too coarse for stages of a few milliseconds.
/// </summary>
internal static partial class ProcessCpu
{
    private const int RusageSelf = 0;

    public static double Milliseconds()
    {
        // struct rusage starts with two struct timeval (tv_sec, tv_usec as longs on 64-bit Linux): utime, stime.
        Span<long> usage = stackalloc long[18];
        if (GetRusage(RusageSelf, ref MemoryMarshal.GetReference(usage)) != 0)
        {
            return double.NaN;
        }

        return ((usage[0] + usage[2]) * 1e3) + ((usage[1] + usage[3]) / 1e3);
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, ref long usage);
}
