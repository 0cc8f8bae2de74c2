namespace Chorus.Fuzz;

/// <summary>Scratch directories for the targets that need files, under one per-process temporary root.</summary>
internal static class FuzzDirectory
{
    private static readonly string s_root = Directory.CreateTempSubdirectory("chorus-fuzz-").FullName;
    private static readonly string s_work = Path.Combine(s_root, "work");

    /// <summary>An empty directory that stays empty (relative paths in fuzzed configs resolve against it).</summary>
    public static string Empty { get; } = Directory.CreateDirectory(Path.Combine(s_root, "empty")).FullName;

    /// <summary>The work directory, emptied (one execution at a time in a fuzzing process).</summary>
    public static string Fresh()
    {
        if (Directory.Exists(s_work))
        {
            Directory.Delete(s_work, recursive: true);
        }

        return Directory.CreateDirectory(s_work).FullName;
    }
}
