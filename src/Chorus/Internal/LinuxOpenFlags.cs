using System.Runtime.InteropServices;

namespace Chorus.Internal;

/// <summary>
/// The <c>open</c> flags whose values differ between Linux architectures. x86-64 shares the generic values; arm,
/// arm64 and powerpc define their own, where 0x10000 (the generic <c>O_DIRECTORY</c>) means <c>O_DIRECT</c>, which
/// makes opening a directory fail with EINVAL on tmpfs and overlayfs, and 0x20000 (the generic <c>O_NOFOLLOW</c>)
/// means <c>O_LARGEFILE</c>, which would follow a planted symlink without a word.
/// </summary>
internal static class LinuxOpenFlags
{
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
