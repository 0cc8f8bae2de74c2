using System.Runtime.InteropServices;

namespace Chorus.Internal;

/// <summary>
/// What <c>fstat</c>/<c>stat</c> say about a file, decoded in one place: identity, size, link count, type and times.
/// </summary>
/// <param name="Device">The device number (<c>st_dev</c>).</param>
/// <param name="Inode">The inode number (<c>st_ino</c>).</param>
/// <param name="Length">The size in bytes (<c>st_size</c>).</param>
/// <param name="Links">The number of names (<c>st_nlink</c>), -1 on an architecture whose layout is not known.</param>
/// <param name="Mode">The type and permission bits (<c>st_mode</c>).</param>
/// <param name="Modified">The last modification (<c>st_mtim</c>).</param>
/// <param name="ChangedSeconds">The last status change (<c>st_ctim</c>), seconds.</param>
/// <param name="ChangedNanoseconds">The last status change, nanoseconds within the second.</param>
internal readonly partial record struct FileStatus(ulong Device, ulong Inode, long Length, long Links, uint Mode, DateTime Modified, long ChangedSeconds, long ChangedNanoseconds)
{
    private const uint TypeMask = 0xF000;
    private const uint Fifo = 0x1000;
    private const uint CharacterDevice = 0x2000;
    private const uint DirectoryType = 0x4000;
    private const uint BlockDevice = 0x6000;
    private const uint Regular = 0x8000;
    private const uint SymbolicLink = 0xA000;
    private const uint Socket = 0xC000;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int StatxBasicStats = 0x7FF;
    private const int StatxBufferSize = 256;

    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>True for a regular file.</summary>
    public bool IsRegular => (Mode & TypeMask) == Regular;

    /// <summary>What kind of file this is, in words ("a FIFO", "a directory", ...).</summary>
    public string TypeName => (Mode & TypeMask) switch
    {
        Fifo => "a FIFO",
        CharacterDevice => "a character device",
        DirectoryType => "a directory",
        BlockDevice => "a block device",
        Regular => "a regular file",
        SymbolicLink => "a symbolic link",
        Socket => "a socket",
        _ => "a file of unknown type",
    };

    /// <summary>Reads the status of an open descriptor; false when it cannot be read (or not on Linux).</summary>
    public static bool TryRead(int fd, out FileStatus status) => TryRead(fd, null, out status);

    /// <summary>Reads the status of <paramref name="path"/>, following symbolic links; false when it cannot be read.</summary>
    public static bool TryRead(string path, out FileStatus status) => TryRead(-1, path, out status);

    /// <summary>
    /// Reads the status of the entry <paramref name="path"/> names, not following a symbolic link (one <c>statx</c>): a
    /// symbolic link is reported as one. False when nothing is there or it cannot be read.
    /// </summary>
    public static bool TryReadEntry(string path, out FileStatus status) => TryStatx(path, followSymlinks: false, out status);

    /// <summary>Reads the status of <paramref name="path"/> with one <c>statx</c>; false when nothing is there, it cannot be read, or not on Linux.</summary>
    public static unsafe bool TryStatx(string path, bool followSymlinks, out FileStatus status)
    {
        status = default;
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> statx = stackalloc byte[StatxBufferSize];
        fixed (byte* buffer = statx)
        {
            if (Libc.Statx(AtFdCwd, path, followSymlinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            {
                return false;
            }
        }

        status = DecodeStatx(statx);
        return true;
    }

    private static bool TryRead(int fd, string? path, out FileStatus status)
    {
        status = default;
        if (s_unavailable)
        {
            return false;
        }

        try
        {
            // 256 bytes covers struct stat in both the x86-64 and the generic (arm64) layout.
            Span<byte> stat = stackalloc byte[256];
            ref byte buffer = ref MemoryMarshal.GetReference(stat);
            if ((path is null ? Libc.Fstat(fd, ref buffer) : Libc.Stat(path, ref buffer)) != 0)
            {
                return false;
            }

            status = Decode(stat);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // glibc before 2.33 exports only __fxstat/__xstat: callers fall back to what the framework says.
            s_unavailable = true;
            return false;
        }
    }

    private static FileStatus DecodeStatx(ReadOnlySpan<byte> statx)
    {
        // struct statx, the same on every architecture: stx_nlink (4 bytes) at 16, stx_mode (2) at 28, stx_ino at 32,
        // stx_size at 40, stx_ctime at 96 and stx_mtime at 112 (8-byte seconds, 4-byte nanoseconds), stx_dev_major at 136,
        // stx_dev_minor at 140.
        uint major = MemoryMarshal.Read<uint>(statx[136..]);
        uint minor = MemoryMarshal.Read<uint>(statx[140..]);

        // Encoded as glibc's makedev, so it compares equal to st_dev from fstat.
        ulong device = ((ulong)(major & 0xFFFFF000) << 32) | ((ulong)(major & 0xFFF) << 8) | ((ulong)(minor & 0xFFFFFF00) << 12) | (minor & 0xFF);
        long modifiedSeconds = MemoryMarshal.Read<long>(statx[112..]);
        uint modifiedNanoseconds = MemoryMarshal.Read<uint>(statx[120..]);
        DateTime modified = DateTime.UnixEpoch.AddTicks((modifiedSeconds * TimeSpan.TicksPerSecond) + (modifiedNanoseconds / 100));
        return new FileStatus(
            device,
            MemoryMarshal.Read<ulong>(statx[32..]),
            MemoryMarshal.Read<long>(statx[40..]),
            MemoryMarshal.Read<uint>(statx[16..]),
            MemoryMarshal.Read<ushort>(statx[28..]),
            modified,
            MemoryMarshal.Read<long>(statx[96..]),
            MemoryMarshal.Read<uint>(statx[104..]));
    }

    private static FileStatus Decode(ReadOnlySpan<byte> stat)
    {
        // st_dev and st_ino lead; st_size at 48, st_mtim at 88 and st_ctim at 104 (seconds, nanoseconds) in both layouts.
        // st_nlink is 8 bytes at 16 and st_mode 4 bytes at 24 on x86-64; the generic layout has st_mode at 16, st_nlink at 20.
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        bool arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
        long links = x64 ? MemoryMarshal.Read<long>(stat[16..]) : arm64 ? MemoryMarshal.Read<uint>(stat[20..]) : -1;
        uint mode = x64 ? MemoryMarshal.Read<uint>(stat[24..]) : arm64 ? MemoryMarshal.Read<uint>(stat[16..]) : Regular;
        long modifiedSeconds = MemoryMarshal.Read<long>(stat[88..]);
        long modifiedNanoseconds = MemoryMarshal.Read<long>(stat[96..]);
        DateTime modified = DateTime.UnixEpoch.AddTicks((modifiedSeconds * TimeSpan.TicksPerSecond) + (modifiedNanoseconds / 100));
        return new FileStatus(
            MemoryMarshal.Read<ulong>(stat),
            MemoryMarshal.Read<ulong>(stat[8..]),
            MemoryMarshal.Read<long>(stat[48..]),
            links,
            mode,
            modified,
            MemoryMarshal.Read<long>(stat[104..]),
            MemoryMarshal.Read<long>(stat[112..]));
    }
}
