using System.Runtime.InteropServices;

namespace Chorus.Internal;

/// <summary>
/// The <c>open</c> flags whose values differ between Linux architectures. x86-64 shares the generic values; arm,
/// arm64 and powerpc define their own, where 0x10000 (the generic <c>O_DIRECTORY</c>) means <c>O_DIRECT</c>, which
/// makes opening a directory fail with EINVAL on tmpfs and overlayfs, and 0x20000 (the generic <c>O_NOFOLLOW</c>)
/// means <c>O_LARGEFILE</c>, which would follow a planted symlink without a word. The flags every architecture shares
/// are constants.
/// </summary>
internal static class LinuxOpenFlags
{
    /// <summary><c>O_RDWR</c>.</summary>
    public const int ReadWrite = 2;

    /// <summary><c>O_CREAT</c>.</summary>
    public const int Create = 0x40;

    /// <summary><c>O_NONBLOCK</c>: a FIFO named like a file must not block the open.</summary>
    public const int NonBlock = 0x800;

    /// <summary><c>O_CLOEXEC</c>: child processes never inherit the descriptor (nor a lock on it).</summary>
    public const int CloseOnExec = 0x80000;

    /// <summary><c>O_DIRECTORY</c> for the running process's architecture.</summary>
    public static readonly int Directory = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le => 0x4000,
        _ => 0x10000,
    };

    /// <summary><c>O_NOFOLLOW</c> for the running process's architecture.</summary>
    public static readonly int NoFollow = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le => 0x8000,
        _ => 0x20000,
    };
}
