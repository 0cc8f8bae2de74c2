using System.Globalization;

namespace Chorus.Aggregation;

/// <summary>
/// How many files may stay open and mapped: the configured maximum, capped by a third of the open-file limit and a third
/// of the kernel's map-count limit. A kept file of a Chorus writer holds its change map open and mapped too
/// (<see cref="ChangeMapWatch"/>), and the last third is for the rest of the process (sockets, its own files).
/// </summary>
internal static class KeptFileBudget
{
    public static int Resolve(int configured)
    {
        if (configured <= 0 || !OperatingSystem.IsLinux())
        {
            return 0;
        }

        long budget = configured;
        if (ReadOpenFileLimit() is long files)
        {
            budget = Math.Min(budget, files / 3);
        }

        if (ReadNumber("/proc/sys/vm/max_map_count") is long maps)
        {
            budget = Math.Min(budget, maps / 3);
        }

        return (int)Math.Max(0, budget);
    }

    private static long? ReadOpenFileLimit()
    {
        try
        {
            // "Max open files            20000                20000                files"
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    string[] parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static long? ReadNumber(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
