using System.Globalization;
using System.Runtime.InteropServices;

namespace Chorus.Cli;

/// <summary>
/// Asks Linux to back the GC heap with transparent huge pages. Most distributions leave huge pages to the program
/// (<c>/sys/kernel/mm/transparent_hugepage/enabled</c> is <c>madvise</c>), and the runtime does not ask, so every 4 KiB
/// of heap a scrape grows into costs a page fault: on the GitLab-sized host (5.12 M entries, ~380 MB of heap) a cold
/// <c>chorus scrape</c> took ~88,000 faults, about half of its CPU, and with huge pages ~10,000 and half the time
/// (<c>docs/benchmarks.md</c>). <c>CHORUS_HUGE_PAGES=0</c> leaves the heap as the runtime made it.
/// </summary>
internal static partial class HeapHugePages
{
    /// <summary>The environment variable that turns the advice off (<c>0</c>).</summary>
    public const string Variable = "CHORUS_HUGE_PAGES";

    private const int MadviseHugePage = 14;

    /// <summary>
    /// Advises the heap's address range, as far as this process can find it; any failure (no THP in the kernel, no
    /// <c>/proc</c>) leaves the heap as it was, only slower to grow.
    /// </summary>
    /// <returns>Bytes of address space advised (0 when nothing was).</returns>
    public static long Advise()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) == "0")
        {
            return 0;
        }

        return AdviseHeap();
    }

    /// <summary>As <see cref="Advise"/>, whatever the environment says.</summary>
    public static long AdviseHeap()
    {
        try
        {
            return AdviseRangeHolding(HeapAddress());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The GC reserves its whole range of regions at start and commits parts of it by changing their protection, so
    /// the range shows in <c>/proc/self/maps</c> as adjacent anonymous mappings; committed parts keep the advice given
    /// to the reservation, including parts committed later.
    /// </summary>
    private static long AdviseRangeHolding(nint address)
    {
        long runStart = -1;
        long runEnd = -1;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            bool anonymous = TryParseAnonymous(line, out long start, out long end);
            if (anonymous && start == runEnd)
            {
                runEnd = end;
                continue;
            }

            if (runStart <= address && address < runEnd)
            {
                break;
            }

            (runStart, runEnd) = anonymous ? (start, end) : (-1, -1);
        }

        if (address < runStart || address >= runEnd)
        {
            return 0;
        }

        return Madvise((nint)runStart, (nuint)(runEnd - runStart), MadviseHugePage) == 0 ? runEnd - runStart : 0;
    }

    /// <summary>A line of <c>/proc/self/maps</c> for a private mapping of no file: <c>start-end perms offset dev inode</c>.</summary>
    private static bool TryParseAnonymous(string line, out long start, out long end)
    {
        start = end = 0;
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5 || fields[1].Length < 4 || fields[1][3] != 'p' || fields[4] != "0")
        {
            return false;
        }

        int dash = fields[0].IndexOf('-', StringComparison.Ordinal);
        start = long.Parse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        end = long.Parse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return true;
    }

    private static nint HeapAddress()
    {
        // Any object's address is inside the reservation; a pinned one keeps still while it is read.
        byte[] probe = GC.AllocateArray<byte>(1, pinned: true);
        return Marshal.UnsafeAddrOfPinnedArrayElement(probe, 0);
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
