using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Files;

/// <summary>
/// Which file a handle refers to (device and inode), so a reader can tell a file replaced under the same
/// name from the one it read before. <see cref="Unknown"/> where the platform does not say.
/// </summary>
/// <param name="Device">The device number (<c>st_dev</c>).</param>
/// <param name="Inode">The inode number (<c>st_ino</c>).</param>
public readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Identity not known; compares equal only to itself.</summary>
    public static FileIdentity Unknown => default;

    /// <summary>Reads the identity and length of an open file. Never throws.</summary>
    /// <param name="handle">An open file handle.</param>
    /// <param name="length">The file's length in bytes, or -1 when unknown.</param>
    public static FileIdentity Of(SafeFileHandle handle, out long length)
    {
        ArgumentNullException.ThrowIfNull(handle);
        length = -1;
        if (!s_unavailable)
        {
            try
            {
                // struct stat starts with st_dev and st_ino (8 bytes each) and has st_size at offset 48 on both
                // x86-64 and the generic layout arm64 uses; 256 bytes covers the whole struct on either.
                Span<byte> stat = stackalloc byte[256];
                if (Fstat(handle, ref MemoryMarshal.GetReference(stat)) == 0)
                {
                    length = MemoryMarshal.Read<long>(stat[48..]);
                    return new FileIdentity(MemoryMarshal.Read<ulong>(stat), MemoryMarshal.Read<ulong>(stat[8..]));
                }
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                // glibc before 2.33 exports only __fxstat; fall back to length-only checks.
                s_unavailable = true;
            }
        }

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

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(SafeFileHandle handle, ref byte stat);
}
