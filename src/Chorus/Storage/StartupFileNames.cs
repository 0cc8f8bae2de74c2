using System.Globalization;

namespace Chorus.Storage;

/// <summary>
/// Names of the short-lived files a writer makes while it starts: the directory's write check and a new
/// <c>.db</c> file being sized. Each carries its creator's PID, so compaction's sweep can remove those a writer
/// killed in the middle left behind (docs/compaction.md, "Start-up litter"). Neither ends in <c>.db</c>, so no
/// reader lists them.
/// </summary>
internal static class StartupFileNames
{
    private const string WriteCheckPrefix = ".chorus-write-check-";
    private const string SizingSuffix = ".new";

    /// <summary>The write-check probe of a thread of this process: <c>.chorus-write-check-{pid}-{thread}</c>.</summary>
    public static string WriteCheck(int pid, int thread) =>
        WriteCheckPrefix + pid.ToString(CultureInfo.InvariantCulture) + "-" + thread.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name a new <c>.db</c> file is sized under before it is renamed into place: <c>{path}.{pid}.new</c>.</summary>
    public static string Sizing(string dbPath, int pid) => dbPath + "." + pid.ToString(CultureInfo.InvariantCulture) + SizingSuffix;

    /// <summary>Whether <paramref name="fileName"/> is a write-check probe or a sizing file, and the PID that made it.</summary>
    public static bool TryGetCreator(string fileName, out int pid)
    {
        pid = 0;
        if (fileName.StartsWith(WriteCheckPrefix, StringComparison.Ordinal))
        {
            ReadOnlySpan<char> rest = fileName.AsSpan(WriteCheckPrefix.Length);
            int dash = rest.IndexOf('-');
            return dash > 0 && IsNumber(rest[(dash + 1)..]) && TryParsePid(rest[..dash], out pid);
        }

        if (!fileName.EndsWith(SizingSuffix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> stem = fileName.AsSpan(0, fileName.Length - SizingSuffix.Length);
        int dot = stem.LastIndexOf('.');
        return dot > 0 && stem[..dot].EndsWith(".db", StringComparison.Ordinal) && TryParsePid(stem[(dot + 1)..], out pid);
    }

    private static bool TryParsePid(ReadOnlySpan<char> text, out int pid) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 0;

    private static bool IsNumber(ReadOnlySpan<char> text) => !text.IsEmpty && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);
}
