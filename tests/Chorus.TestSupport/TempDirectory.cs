namespace Chorus.TestSupport;

/// <summary>A fresh directory per test, removed (with anything a test made unreadable) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"chorus-{prefix ?? "test"}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>The full path of <paramref name="name"/> inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Creates <paramref name="name"/> inside the directory and returns its full path.</summary>
    public string Subdirectory(string name) => Directory.CreateDirectory(File(name)).FullName;

    /// <summary>The names of the <c>.db</c> files in <paramref name="directory"/>, sorted ordinally.</summary>
    public static IReadOnlyList<string> DbFileNames(string directory) =>
        Directory.EnumerateFiles(directory, "*.db").Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories))
            {
                // Tests chmod files to 000; give them back so the delete below cannot fail for that. Symlinks
                // (dangling ones included) are left alone: chmod would follow them.
                if (!OperatingSystem.IsWindows() && System.IO.File.Exists(entry) && new FileInfo(entry).LinkTarget is null)
                {
                    System.IO.File.SetUnixFileMode(entry, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
        }
        catch (IOException)
        {
            // A straggling child may still add or remove files; the delete below is best effort anyway.
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail the test that already ran.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
