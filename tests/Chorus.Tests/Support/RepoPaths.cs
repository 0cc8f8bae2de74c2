namespace Chorus.Tests.Support;

/// <summary>Finds the repository root (the folder holding <c>Chorus.slnx</c>) and the shared folder next to it.</summary>
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

    /// <summary>The shared vectors: <c>../shared/vectors</c> beside the repository root (or beside the main checkout for worktrees).</summary>
    public static string Vectors
    {
        get
        {
            string candidate = Path.GetFullPath(Path.Combine(Root, "..", "shared", "vectors"));
            if (!Directory.Exists(candidate))
            {
                throw new DirectoryNotFoundException($"The shared test vectors are missing: expected {candidate} (a 'shared' folder next to the repository).");
            }

            return candidate;
        }
    }
}
