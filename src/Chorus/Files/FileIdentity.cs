using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Files;

/// <summary>
/// Which file a handle refers to (device and inode), so a reader can tell a file replaced under the same
/// name from the one it read before. <see cref="Unknown"/> where the platform does not say.
/// </summary>
/// <param name="Device">The device number (<c>st_dev</c>).</param>
/// <param name="Inode">The inode number (<c>st_ino</c>).</param>
internal readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Identity not known; compares equal only to itself.</summary>
    public static FileIdentity Unknown => default;

    /// <summary>Reads the identity and length of an open file. Never throws.</summary>
    /// <param name="handle">An open file handle.</param>
    /// <param name="length">The file's length in bytes, or -1 when unknown.</param>
    public static FileIdentity Of(SafeFileHandle handle, out long length) => Of(handle, out length, out _);

    /// <summary>Reads the identity, length and link count of an open file. Never throws.</summary>
    /// <param name="handle">An open file handle.</param>
    /// <param name="length">The file's length in bytes, or -1 when unknown.</param>
    /// <param name="links">
    /// The number of names the file has (0 once it was deleted or replaced by a rename while open), or -1 when unknown.
    /// </param>
    public static FileIdentity Of(SafeFileHandle handle, out long length, out long links) => Of(handle, out length, out links, out _);

    /// <summary>As <see cref="Of(SafeFileHandle, out long, out long)"/>, also telling whether it is a regular file (true when unknown).</summary>
    internal static FileIdentity Of(SafeFileHandle handle, out long length, out long links, out bool regular)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!s_unavailable)
        {
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                FileIdentity identity = Of((int)handle.DangerousGetHandle(), out length, out links, out regular);
                if (length >= 0)
                {
                    return identity;
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        links = -1;
        regular = true;
        try
        {
            length = RandomAccess.GetLength(handle);
        }
        catch (IOException)
        {
            length = -1;
        }

        return Unknown;
    }

    /// <summary>
    /// As <see cref="Of(SafeFileHandle, out long, out long)"/> on a raw Linux descriptor, also telling whether it is a
    /// regular file (true when unknown). <see cref="Unknown"/> and a length of -1 when <c>fstat</c> is not available.
    /// </summary>
    internal static FileIdentity Of(int fd, out long length, out long links, out bool regular)
    {
        length = -1;
        links = -1;
        regular = true;
        if (s_unavailable)
        {
            return Unknown;
        }

        try
        {
            // struct stat starts with st_dev and st_ino (8 bytes each) and has st_size at offset 48 on both
            // x86-64 and the generic layout arm64 uses; 256 bytes covers the whole struct on either.
            Span<byte> stat = stackalloc byte[256];
            if (Fstat(fd, ref MemoryMarshal.GetReference(stat)) != 0)
            {
                return Unknown;
            }

            length = MemoryMarshal.Read<long>(stat[48..]);

            // st_nlink: 8 bytes at 16 on x86-64; 4 bytes at 20 (after st_mode) in the generic layout.
            links = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => MemoryMarshal.Read<long>(stat[16..]),
                Architecture.Arm64 => MemoryMarshal.Read<uint>(stat[20..]),
                _ => -1,
            };

            // st_mode: 4 bytes at 24 on x86-64, at 16 in the generic layout; S_IFMT 0xF000, S_IFREG 0x8000.
            uint mode = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => MemoryMarshal.Read<uint>(stat[24..]),
                Architecture.Arm64 => MemoryMarshal.Read<uint>(stat[16..]),
                _ => 0x8000,
            };
            regular = (mode & 0xF000) == 0x8000;
            return new FileIdentity(MemoryMarshal.Read<ulong>(stat), MemoryMarshal.Read<ulong>(stat[8..]));
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // glibc before 2.33 exports only __fxstat; fall back to length-only checks.
            s_unavailable = true;
            return Unknown;
        }
    }

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(int fd, ref byte stat);
}
