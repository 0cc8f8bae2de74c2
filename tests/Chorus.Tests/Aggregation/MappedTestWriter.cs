using System.IO.MemoryMappedFiles;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A writer as prometheus_client is one: it opens a <c>.db</c> file for writing, maps it shared and writes through the
/// mapping only (no <c>write</c> call, so no inotify modify event), holding the file until disposed.
/// </summary>
internal sealed class MappedTestWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;

    public MappedTestWriter(string path)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        _map = MemoryMappedFile.CreateFromFile(_stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
    }

    /// <summary>Writes <paramref name="content"/> (at most the file's size) from offset 0 through the mapping.</summary>
    public void Write(byte[] content)
    {
        // Shared pages: readers see the bytes at once, without msync.
        _view.WriteArray(0, content, 0, (int)Math.Min(content.Length, _view.Capacity));
    }

    /// <summary>Opens <paramref name="path"/>, writes <paramref name="content"/> through a mapping and lets go: a writer that came and went.</summary>
    public static void WriteOnce(string path, byte[] content)
    {
        using var writer = new MappedTestWriter(path);
        writer.Write(content);
    }

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
        _stream.Dispose();
    }
}
