namespace Chorus.IntegrationTests.Support;

/// <summary>Where the test run finds the repository, the built <c>chorus</c> tool and the Python peer scripts.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    /// <summary>The repository root: the first directory above the test assembly holding <c>Chorus.slnx</c>.</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>
    /// The built CLI (<c>chorus.dll</c>) in its own output directory, of the same configuration and target
    /// framework as this test assembly (<c>src/Chorus.Cli/bin/&lt;cfg&gt;/&lt;tfm&gt;/</c>).
    /// </summary>
    public static string ChorusDll
    {
        get
        {
            var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string configuration = tfmDir.Parent?.Name ?? "Release";
            string path = Path.Combine(RepoRoot, "src", "Chorus.Cli", "bin", configuration, tfmDir.Name, "chorus.dll");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"chorus.dll is not built at {path}; build tests/Chorus.IntegrationTests (it builds the CLI) first.", path);
            }

            return path;
        }
    }

    /// <summary>A script of the Python peer harness (<c>python/</c>, copied to the output directory).</summary>
    public static string PythonScript(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "python", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Python harness script {name} is missing from the test output.", path);
        }

        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Chorus.slnx above {AppContext.BaseDirectory}.");
    }
}
