namespace Chorus.Tests.Support;

/// <summary>Finds the repository root (the folder holding <c>Chorus.slnx</c>) and the committed test vectors.</summary>
public static class RepoPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException($"No Chorus.slnx above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The vectors written by real prometheus_client 0.16 and 0.21 (<c>tests/vectors</c>, made by its <c>generate.sh</c>).</summary>
    public static string Vectors
    {
        get
        {
            string path = Path.Combine(Root, "tests", "vectors");
            if (!Directory.Exists(Path.Combine(path, "v8")) || !Directory.Exists(Path.Combine(path, "v16")))
            {
                throw new DirectoryNotFoundException($"The test vectors are missing from {path}: run tests/vectors/generate.sh.");
            }

            return path;
        }
    }
}
