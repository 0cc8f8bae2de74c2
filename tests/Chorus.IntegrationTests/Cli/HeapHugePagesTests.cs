using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Chorus.Cli;
using Chorus.Files;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Cli;

/// <summary>
/// <c>chorus scrape</c> asks Linux for transparent huge pages on the GC heap (<see cref="HeapHugePages"/>):
/// the kernel marks an advised mapping <c>hg</c> in <c>/proc/PID/smaps</c>. Where the kernel has no THP at all the
/// advice must fail quietly.
/// </summary>
public sealed class HeapHugePagesTests
{
    private static bool KernelHasHugePages => File.Exists("/sys/kernel/mm/transparent_hugepage/enabled");

    [Fact]
    public void AdvisingTheHeap_MarksTheMappingThatHoldsNewObjects()
    {
        long advised = HeapHugePages.AdviseHeap();

        byte[] later = GC.AllocateArray<byte>(1 << 16, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(later, 0);
        Mapping? holding = Mappings(Environment.ProcessId).SingleOrDefault(m => m.Start <= address && address < m.End);
        Assert.NotNull(holding);
        if (KernelHasHugePages)
        {
            Assert.True(advised > 0, "nothing advised");
            Assert.Contains("hg", holding.Flags);
        }
        else
        {
            Assert.Equal(0, advised);
        }
    }

    [Fact]
    public void Scrape_AdvisesItsHeap_UnlessTheEnvironmentSaysNot()
    {
        using var dir = new TempDirectory("huge-pages");
        WriteManySeries(dir.Path);

        Assert.Equal(KernelHasHugePages, AdvisedWhileBlockedOnOutput(dir.Path, hugePages: null));
        Assert.False(AdvisedWhileBlockedOnOutput(dir.Path, hugePages: "0"));
    }

    /// <summary>One file of 60,000 series: about 2.5 MB of exposition, more than scrape buffers and a pipe holds.</summary>
    private static void WriteManySeries(string directory)
    {
        var builder = new DbFileBuilder(ValueLayout.Value8, capacity: 16 << 20);
        for (int i = 0; i < 60_000; i++)
        {
            builder.Add("many_series", "many_series_total", i, "Series.", ("series", i.ToString("D8", CultureInfo.InvariantCulture)));
        }

        byte[] bytes = builder.Build();
        File.WriteAllBytes(Path.Combine(directory, "counter_100.db"), bytes.AsSpan(0, DbFormat.ReadUsed(bytes)).ToArray());
    }

    /// <summary>
    /// Runs <c>chorus scrape</c> with stdout unread until it blocks writing there, by then past any advice it gives,
    /// and says whether a mapping of its then has <c>hg</c>; then reads its output to the end.
    /// </summary>
    private static bool AdvisedWhileBlockedOnOutput(string directory, string? hugePages)
    {
        string[] commandLine = ChorusCli.CommandLine(["scrape", "--dir", directory]);
        var info = new ProcessStartInfo(commandLine[0]) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in commandLine[1..])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove(HeapHugePages.Variable);
        if (hugePages is not null)
        {
            info.Environment[HeapHugePages.Variable] = hugePages;
        }

        using Process process = Process.Start(info)!;
        var deadline = DateTime.UtcNow + ChorusCli.Timeout;
        while (!WritingToStdout(process.Id))
        {
            Assert.False(process.HasExited, "scrape exited before filling its stdout");
            Assert.True(DateTime.UtcNow < deadline, "scrape never blocked on its stdout");
            Thread.Sleep(10);
        }

        bool advised = Mappings(process.Id).Any(m => m.Flags.Contains("hg"));
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("many_series_total{series=\"00059999\"} 59999.0", output, StringComparison.Ordinal);
        return advised;
    }

    /// <summary>
    /// Whether the process's main thread is in a <c>write</c> to its stdout pipe (<c>/proc/PID/syscall</c>; the runtime
    /// may write through a duplicate of descriptor 1).
    /// </summary>
    private static bool WritingToStdout(int pid)
    {
        string[] fields = File.ReadAllText($"/proc/{pid}/syscall").Split(' ');
        int write = RuntimeInformation.OSArchitecture == Architecture.X64 ? 1 : 64;
        if (fields.Length < 2 || fields[0] != write.ToString(CultureInfo.InvariantCulture) || !fields[1].StartsWith("0x", StringComparison.Ordinal))
        {
            return false;
        }

        int fd = int.Parse(fields[1].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return File.ResolveLinkTarget($"/proc/{pid}/fd/{fd}", returnFinalTarget: false)?.Name == File.ResolveLinkTarget($"/proc/{pid}/fd/1", returnFinalTarget: false)?.Name;
    }

    private sealed record Mapping(long Start, long End, string[] Flags);

    /// <summary>Each mapping of <c>/proc/PID/smaps</c> with the flags of its <c>VmFlags</c> line.</summary>
    private static List<Mapping> Mappings(int pid)
    {
        var mappings = new List<Mapping>();
        long start = 0;
        long end = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                mappings.Add(new Mapping(start, end, line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            }
            else if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.IndexOf('-', StringComparison.Ordinal) is int dash and > 0 && line.IndexOf(' ', StringComparison.Ordinal) > dash)
            {
                start = long.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                end = long.Parse(line.AsSpan(dash + 1, line.IndexOf(' ', StringComparison.Ordinal) - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return mappings;
    }
}
