using System.Globalization;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Storage;

/// <summary>
/// The identity a process writes its files under, and the lock that proves it is alive. Held for the
/// life of the store; disposing it (or the process dying) frees the identity.
/// </summary>
internal sealed class IdentityLease : IDisposable
{
    /// <summary>Lock file name of slot <c>n</c>: <c>chorus-slot-{n}.lock</c>.</summary>
    public const string SlotLockPrefix = "chorus-slot-";

    /// <summary>Lock file name of a custom identity: <c>chorus-id-{name}.lock</c>.</summary>
    public const string CustomLockPrefix = "chorus-id-";

    /// <summary>Suffix of lock files.</summary>
    public const string LockSuffix = ".lock";

    private readonly FileLock? _lock;

    private IdentityLease(string id, FileLock? heldLock)
    {
        Id = id;
        _lock = heldLock;
    }

    /// <summary>The identity as it appears in file names (<c>counter_{Id}.db</c>).</summary>
    public string Id { get; }

    /// <summary>The lock file proving liveness, or null for <see cref="IdentityKind.Pid"/>.</summary>
    public string? LockPath => _lock?.Path;

    /// <summary>The lock file path of slot <paramref name="slot"/> in <paramref name="directory"/>.</summary>
    public static string SlotLockPath(string directory, int slot) =>
        Path.Combine(directory, SlotLockPrefix + slot.ToString(CultureInfo.InvariantCulture) + LockSuffix);

    /// <summary>
    /// Takes an identity in <paramref name="directory"/>. For slot and custom identities the previous
    /// owner is dead (we hold its lock now), so its live-gauge files are deleted, as
    /// prometheus_client's <c>mark_process_dead</c> does; its counters and other files are continued.
    /// </summary>
    /// <exception cref="InvalidOperationException">No free slot, or the custom identity is held by a live process.</exception>
    /// <exception cref="ArgumentException">The custom identity is missing or not a valid file-name part.</exception>
    public static IdentityLease Acquire(string directory, ChorusOptions options)
    {
        switch (options.Identity)
        {
            case IdentityKind.Pid:
                return new IdentityLease(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), null);

            case IdentityKind.Custom:
            {
                string id = ValidateCustom(options.CustomIdentity);
                FileLock? held = FileLock.TryAcquireExclusive(Path.Combine(directory, CustomLockPrefix + id + LockSuffix))
                    ?? throw new InvalidOperationException(
                        $"Another live process already writes '{directory}' as identity '{id}'. Give each process its own identity, or use the default slot identity.");
                ResetLiveGauges(directory, id);
                return new IdentityLease(id, held);
            }

            default:
            {
                int maxSlots = options.MaxSlots;
                if (maxSlots <= 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(options), maxSlots, "MaxSlots must be positive.");
                }

                for (int slot = 0; slot < maxSlots; slot++)
                {
                    // A slot locked by a live process or by a compactor folding it is skipped.
                    if (TryTakeSlot(SlotLockPath(directory, slot)) is { } held)
                    {
                        string id = slot.ToString(CultureInfo.InvariantCulture);
                        ResetLiveGauges(directory, id);
                        return new IdentityLease(id, held);
                    }
                }

                throw new InvalidOperationException($"All {maxSlots} slots in '{directory}' are held by live processes; raise ChorusOptions.MaxSlots or stop some processes.");
            }
        }
    }

    /// <summary>Frees the identity.</summary>
    public void Dispose() => _lock?.Dispose();

    private static string ValidateCustom(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new ArgumentException("IdentityKind.Custom needs ChorusOptions.CustomIdentity (or CHORUS_IDENTITY) to be set.");
        }

        foreach (char c in id)
        {
            // '_' would cut the gauge file name where prometheus_client splits it; '/' would leave the directory.
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-') || id is "." or "..")
            {
                throw new ArgumentException($"Custom identity '{id}' may only contain ASCII letters, digits, '.' and '-'.");
            }
        }

        return id;
    }

    private static void ResetLiveGauges(string directory, string id)
    {
        foreach (GaugeMode mode in Enum.GetValues<GaugeMode>())
        {
            if (!mode.IsLive())
            {
                continue;
            }

            string path = Path.Combine(directory, new DbFileName(DbFileKind.Gauge, mode, id).ToString());
            File.Delete(path);
            File.Delete(DbRemovedKeys.PathFor(path));
            File.Delete(ChangeMapFormat.PathFor(path));
        }
    }

    // How many times (1 ms apart) a slot that is only being probed is tried again before moving on.
    private const int ProbeRetries = 50;

    /// <summary>
    /// Takes a slot's exclusive lock, or null when an owner holds it. Liveness probes (readers, the compactor,
    /// chorus_slot.py reaping live gauges) hold the lock shared for a moment; skipping a slot that is only being
    /// probed would push processes onto ever higher slot numbers, so the probe is waited out: the slot has no
    /// owner while a shared lock can be had.
    /// </summary>
    private static FileLock? TryTakeSlot(string path)
    {
        for (int attempt = 0; attempt < ProbeRetries; attempt++)
        {
            if (FileLock.TryAcquireExclusive(path) is { } held)
            {
                return held;
            }

            using (FileLock? probe = FileLock.TryAcquireShared(path))
            {
                if (probe is null)
                {
                    return null;
                }
            }

            Thread.Sleep(1);
        }

        return null;
    }
}
