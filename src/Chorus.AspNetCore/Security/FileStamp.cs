namespace Chorus.AspNetCore.Security;

/// <summary>What one <c>stat</c> says about a file, to notice that it changed: size and modification time.</summary>
internal readonly record struct FileStamp(bool Exists, long Length, DateTime LastWriteUtc)
{
    public static FileStamp Of(string? path)
    {
        if (path is null)
        {
            return default;
        }

        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(true, info.Length, info.LastWriteTimeUtc) : default;
    }
}
