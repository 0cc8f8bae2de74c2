"""Stable slots for prometheus_client multiprocess mode, the way Chorus gives them to .NET workers.

Two lines at the top of your ``wsgi.py`` (before any metric is created)::

    import chorus_slot
    chorus_slot.install()

Every process that records a metric then names its files after the lowest free *slot* ``n``
(``counter_{n}.db``, ``gauge_livesum_{n}.db`` ...) instead of its PID. A process owns slot ``n`` while it
holds an exclusive ``flock`` on ``{dir}/chorus-slot-{n}.lock``; the kernel drops that lock when the process
dies, however it dies (graceful recycle, harakiri, SIGKILL, OOM), so:

* the directory holds files for at most as many slots as processes that ran at the same time, however
  many workers uWSGI ``--max-requests`` or gunicorn ``max_requests`` recycle;
* a new owner of a slot continues the previous owner's counters from the stored values (totals never go
  backwards) and removes its ``live*`` gauge files first, which is what ``mark_process_dead`` does;
* a new owner first rewrites each file it continues without the series Chorus's .NET writers removed (the
  keys listed in its ``.removed`` sidecar), crash-safe (new file, fsync, rename over, directory fsync), so a
  slot file's size follows the series in use (the sidecar keeps the dropped keys, naming the replaced file, until
  the next handover, so a series made again in the new file shows); a file in the other value layout (8-byte for prometheus_client
  0.16/0.17, 16-byte for 0.18 and newer) is renamed aside to ``{type}_{n}-aside{ms}.db``, as the .NET writers
  do, so that prometheus_client never opens a file it cannot read and no count is lost;
* a process that exits normally removes its own ``live*`` gauge files on the way out (``atexit``), and
  whenever a process takes a slot it also removes the ``live*`` gauge files of every other slot that has
  no owner, so a worker killed mid-request stops counting as "in progress" even for Python's own
  ``MultiProcessCollector`` once any process takes a slot (Chorus's reader ignores them at once: it sees
  that the lock is free).

``install()`` also makes prometheus_client's ``MultiProcessCollector`` safe beside ``chorus compact`` (or
``chorus serve --compact-every``): its ``collect()`` globs the directory and then opens each file, so a
compaction that folds files in between made that scrape fail (``FileNotFoundError``) or, for a moment, count a
folded file twice; and a worker starting at that moment has its file at 0 bytes for an instant, which made
the scrape fail too. A collection is now kept only if it read every file and no compaction ran while it read (the compactor's generation
file is unchanged and no journal is present); otherwise it is read again, for up to 5 seconds.
``protect_collector()`` does only that, for apps that do not use slots.

Forked children (uWSGI and gunicorn pre-fork workers, celery, multiprocessing) take their own slot lazily,
on their first metric use: the lock descriptor is close-on-exec, and a child closes the descriptor it
inherited (closing, never unlocking: the lock belongs to the open file description the parent still
uses). No server hook is needed. Standard library only; Python 3.7+; Linux (``fcntl.flock``).
"""

import atexit
import fcntl
import os
import re
import struct
import threading
import time

__all__ = ["install", "slot", "protect_collector", "LOCK_FILE_FORMAT", "MAX_SLOTS"]

#: Lock file of slot ``n``, relative to the multiprocess directory. Shared with Chorus's .NET writers.
LOCK_FILE_FORMAT = "chorus-slot-{}.lock"

#: Upper bound on slot numbers, so a directory full of foreign locks fails loudly instead of looping.
MAX_SLOTS = 65536

# How many times (1 ms apart) a slot that is only being probed is tried again before moving on.
_PROBE_RETRIES = 50

# The compactor's side of the reader protocol (docs/compaction.md): it raises the generation before the first
# file changes and after the last, and a journal exists while a run is in progress.
_GENERATION_FILE = "chorus-compact.generation"
_JOURNAL_FILE = "chorus-compact.journal"
# How long a scrape waits for a running compaction (which holds its journal for a claim settle of 250 ms per
# group) before it reads anyway; well inside Prometheus's default 10 s scrape timeout.
_COLLECT_PATIENCE_SECONDS = 5.0
# How long collections that fail on a key (ValueError) are read again before the failure is passed on.
_TORN_READ_PATIENCE_SECONDS = 0.5

# Chorus's removal sidecar next to a file (counter_3.db.removed): this header line, then one stored key per line.
_REMOVED_SUFFIX = ".removed"
_REMOVED_HEADER = b"chorus-removed-keys 1"
# The optional line after it: the inode of the file the keys were removed from (a rewrite's list, for readers still
# on the file it replaced); a list without it applies to whatever file has the name.
_REMOVED_INODE = re.compile(rb"^inode (\d+)$")
# A rewrite's new file, renamed over the old one; not a .db name, so no collector lists it. Shared with Chorus.
_REWRITE_SUFFIX = ".chorus-rewrite"
# The files a new owner continues (its live gauges are deleted instead).
_CONTINUED_KINDS = ("counter", "histogram", "summary", "gauge_all", "gauge_min", "gauge_max", "gauge_sum",
                    "gauge_mostrecent")
# prometheus_client sizes a new file to 64 KiB and doubles it as it fills.
_INITIAL_FILE_SIZE = 1 << 16
# fcntl's lease commands (Linux): a read lease is refused while anyone holds the file for writing.
_F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)
_F_RDLCK = getattr(fcntl, "F_RDLCK", 0)
_F_UNLCK = getattr(fcntl, "F_UNLCK", 2)

_LOCK_FILE = re.compile(r"^chorus-slot-(\d+)\.lock$")
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live[a-z]+_(\d+)\.db$")


class _Lease:
    """This process's view of its slot. Inherited across fork, so every field is checked against the PID."""

    def __init__(self):
        self.directory = None
        self.slot = None
        self.fd = None
        self.owner_pid = os.getpid()
        # The last identifier handed to prometheus_client. Its value class caches it; a forked child must
        # return something different or the value class would keep writing through the parent's mmaps.
        self.last_returned = None
        self.guard = threading.Lock()


_lease = _Lease()


def install(path=None):
    """Make prometheus_client name its multiprocess files after a Chorus slot instead of the PID.

    Call it once, before any metric is created (metrics created earlier keep PID-named files).
    ``path`` defaults to ``$PROMETHEUS_MULTIPROC_DIR``. Returns False, changing nothing, when no
    directory is configured (prometheus_client then runs in single-process mode anyway).
    No slot is taken here: each process takes one on its first metric use.
    """
    directory = path or os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")
    if not directory:
        return False
    if not os.path.isdir(directory):
        raise ValueError("chorus_slot: {!r} is not a directory; create it before starting the app".format(directory))

    from prometheus_client import values

    # MultiProcessValue() asks for the identifier once, at construction: build it before the directory is
    # set so that the answer is "no slot yet" and the slot is taken at the first metric use.
    value_class = values.MultiProcessValue(process_identifier=_process_identifier)
    with _lease.guard:
        _lease.directory = directory
    values.ValueClass = value_class
    protect_collector()
    return True


def protect_collector():
    """Make ``MultiProcessCollector.collect()`` keep only collections that no compaction overlapped.

    Idempotent; affects every collector in the process, created before or after. Without a compactor the only
    cost is two ``stat`` calls per scrape.
    """
    from prometheus_client import multiprocess

    collector = multiprocess.MultiProcessCollector
    if getattr(collector.collect, "_chorus_protected", False):
        return
    unprotected = collector.collect

    def collect(self):
        deadline = time.monotonic() + _COLLECT_PATIENCE_SECONDS
        attempt = 0
        torn_deadline = None
        while time.monotonic() < deadline:
            before = _compaction_state(self._path)
            if not before[1]:
                try:
                    result = unprotected(self)
                except (FileNotFoundError, struct.error):
                    # A file listed by the glob was folded or deleted before it was opened, or a worker starting
                    # right now has created its file but not yet sized it (0 bytes): read everything again.
                    result = None
                except ValueError:
                    # A torn read: the collector reads a file's header and its entries in one read(), whose copy may
                    # load them out of order, so the newest entry can look zeroed (an empty key) while the header
                    # counts it. The writer's bytes are there by the next read; a file still bad then is bad.
                    torn_deadline = torn_deadline or time.monotonic() + _TORN_READ_PATIENCE_SECONDS
                    if time.monotonic() > torn_deadline:
                        raise
                    result = None
                if result is not None and _compaction_state(self._path) == before:
                    return result
            attempt += 1
            time.sleep(min(attempt, 10) / 1000.0)
        return unprotected(self)

    collect._chorus_protected = True
    collector.collect = collect


def _compaction_state(directory):
    """(generation, journal present): equal before and after a read means no compaction step ran in between."""
    generation = None
    try:
        with open(os.path.join(directory, _GENERATION_FILE), "rb") as f:
            generation = f.read(8)
    except FileNotFoundError:
        pass
    return generation, os.path.exists(os.path.join(directory, _JOURNAL_FILE))


def slot():
    """This process's slot number, taking one if it has none yet (None when install() was not called)."""
    if _lease.directory is None:
        return None
    return _process_identifier()


def _process_identifier():
    # prometheus_client calls this under its own lock on every metric operation: keep the common path to
    # one getpid() and two attribute reads.
    if _lease.owner_pid != os.getpid():
        _forget_inherited_lease()
    if _lease.slot is None:
        if _lease.directory is None:
            return None
        with _lease.guard:
            if _lease.slot is None:
                _take_slot()
    _lease.last_returned = _lease.slot
    return _lease.slot


def _forget_inherited_lease():
    # Runs in a forked child, from the at-fork hook or, for servers that fork from C without running
    # Python's at-fork hooks, from the PID check. Close the inherited descriptor: flock belongs to the open
    # file description, which the parent still holds, so closing drops only our reference; LOCK_UN would
    # release the parent's slot.
    _lease.guard = threading.Lock()
    if _lease.fd is not None:
        try:
            os.close(_lease.fd)
        except OSError:
            pass
    _lease.fd = None
    _lease.slot = None
    _lease.owner_pid = os.getpid()


def _take_slot():
    directory = _lease.directory
    for n in range(MAX_SLOTS):
        if n == _lease.last_returned:
            continue
        fd = _lock_unless_owned(os.path.join(directory, LOCK_FILE_FORMAT.format(n)))
        if fd is None:
            continue
        # Order matters: the slot is ours before the previous owner's live gauges go, so no other process
        # can be writing them; only then does prometheus_client open (and re-read) the slot's files.
        _remove_live_gauges(directory, {n})
        _renew_continued_files(directory, n)
        _lease.fd = fd
        _lease.slot = n
        _lease.owner_pid = os.getpid()
        _reap_ownerless_live_gauges(directory, n)
        return
    raise RuntimeError(
        "chorus_slot: all {} slots in {!r} are held; is another program locking chorus-slot-*.lock?".format(
            MAX_SLOTS, directory))


def _lock_unless_owned(path):
    """Takes the slot's exclusive lock, or None when an owner holds it.

    Liveness probes (other processes reaping live gauges, Chorus's reader and compactor) hold the lock
    *shared* for a moment. Skipping a slot that is only being probed would push processes onto ever higher
    slot numbers, so wait out the probe: it is free of owners when a shared lock can be had.
    """
    for _ in range(_PROBE_RETRIES):
        fd = _try_lock(path, fcntl.LOCK_EX, create=True)
        if fd is not None:
            return fd
        probe = _try_lock(path, fcntl.LOCK_SH, create=False)
        if probe is None:
            return None  # an owner (or a compactor folding the slot) holds it exclusively
        os.close(probe)
        time.sleep(0.001)
    return None


def _try_lock(path, operation, create):
    """Open ``path`` close-on-exec and flock it without waiting; the descriptor, or None if held/missing."""
    while True:
        try:
            # Python opens descriptors non-inheritable (O_CLOEXEC) already; say so for readers of this code.
            flags = (os.O_RDWR | os.O_CREAT) if create else os.O_RDONLY
            fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        # A lock on a file someone unlinked and recreated meanwhile would guard nothing: retry on the new one.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
        if not create:
            return None


def _remove_live_gauges(directory, slots):
    """Delete ``gauge_live*_{n}.db`` for the given slots: what ``mark_process_dead`` does for a PID."""
    for name in os.listdir(directory):
        match = _LIVE_GAUGE_FILE.match(name)
        if match and int(match.group(1)) in slots:
            try:
                os.remove(os.path.join(directory, name))
            except FileNotFoundError:
                pass


def _renew_continued_files(directory, n):
    """Prepare slot ``n``'s files for prometheus_client, which opens them next: without removed series, in its layout.

    Nothing is rewritten while a compaction journal exists (its groups name files by inode) or while a process
    holds the file for writing. A failure leaves the file as it was: bigger than needed, never wrong.
    """
    compacting = os.path.exists(os.path.join(directory, _JOURNAL_FILE))
    width = _value_width()
    for kind in _CONTINUED_KINDS:
        path = os.path.join(directory, "{}_{}.db".format(kind, n))
        try:
            # Left by an owner killed before its rename; the file itself is intact.
            _remove_quietly(path + _REWRITE_SUFFIX)
            if not compacting:
                _renew(directory, path, kind, n, width)
        except OSError:
            pass


def _value_width():
    """The bytes per value this prometheus_client writes: 8 before 0.18, value and timestamp (16) since."""
    from prometheus_client import mmap_dict
    return 16 if hasattr(mmap_dict, "_pack_two_doubles") else 8


def _renew(directory, path, kind, n, width):
    sidecar = path + _REMOVED_SUFFIX
    removed, removed_from = _read_removed(sidecar)
    try:
        with open(path, "rb") as f:
            inode = os.fstat(f.fileno()).st_ino
            header = f.read(8)
            used = struct.unpack_from("i", header, 0)[0] if len(header) == 8 else 0
            if used <= 8:
                return  # no entries (or damaged: prometheus_client deals with it as before)
            # Without removed series only the first entries are needed, to tell the layout.
            data = header + f.read((used if removed is not None else min(used, _INITIAL_FILE_SIZE)) - 8)
    except FileNotFoundError:
        if removed is not None:
            _remove_quietly(sidecar)  # the file was folded by a compaction, which leaves the sidecar behind
        return
    if removed is not None and removed_from is not None and removed_from != inode:
        # Dropped from the file an earlier rewrite replaced: none is removed from this one, whose last owner may have
        # made some of them again.
        _remove_quietly(sidecar)
        removed = None
    # A file walked with the wrong width fails within two entries.
    if _entries(data, len(data), width, limit=2) is None:
        # 0.16/0.17 never open a mostrecent file, which only the 16-byte layout has.
        if (_entries(data, len(data), 24 - width, limit=2) is not None
                and not (width == 8 and kind == "gauge_mostrecent")):
            _move_aside(directory, path, kind, n)
        return
    entries = _entries(data, used, width) if removed is not None and len(data) == used else None
    if entries is None:
        return  # nothing removed (or damaged further on: prometheus_client deals with it as before)
    kept = [entry for entry in entries if entry[0] not in removed]
    dropped = [entry[0] for entry in entries if entry[0] in removed]
    if not dropped:
        _write_removed(sidecar, [])  # keys an earlier rewrite dropped are in no file any more
        return
    if _held_for_writing(path):
        return
    # Before the rename, the sidecar lists just what is dropped, naming the old file's inode: a Chorus reader that
    # listed the directory before the rename may still read the old file, with the sidecar read after it, and a
    # reader of the new file skips nothing, so a series made again there shows.
    _write_removed(sidecar, dropped, inode)
    _replace(directory, path, kept)


def _read_removed(sidecar):
    """(the keys a Chorus sidecar lists, the inode of the file they were removed from or None when it names none);
    (None, None) when there is no sidecar (or it is not one)."""
    try:
        with open(sidecar, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError:
        return None, None
    if lines[0] != _REMOVED_HEADER:
        return None, None
    removed_from = None
    match = _REMOVED_INODE.match(lines[1]) if len(lines) > 1 else None
    if match:
        removed_from = int(match.group(1))
        lines = lines[1:]
    return {line for line in lines[1:] if line}, removed_from


def _write_removed(sidecar, keys, removed_from=None):
    """Replace the sidecar atomically, as Chorus writes it (naming the file the keys are removed from when given);
    none left deletes it."""
    if not keys:
        _remove_quietly(sidecar)
        return
    temporary = "{}.{}.tmp".format(sidecar, os.getpid())
    named = b"" if removed_from is None else b"inode %d\n" % removed_from
    with open(temporary, "wb") as f:
        f.write(_REMOVED_HEADER + b"\n" + named + b"".join(key + b"\n" for key in keys))
    os.rename(temporary, sidecar)


def _entries(data, used, width, limit=None):
    """(key, value bytes) of every entry (or the first ``limit``) when ``data`` is a file of the layout with
    ``width``-byte values, else None."""
    entries = []
    pos = 8
    while pos < used and (limit is None or len(entries) < limit):
        if pos + 4 > used:
            return None
        length = struct.unpack_from("i", data, pos)[0]
        if length <= 0 or pos + 4 + length > used:
            return None
        key = data[pos + 4:pos + 4 + length]
        padding = 8 - ((length + 4) % 8)
        value = pos + 4 + length + padding
        if (value + width > used or key[:1] != b"[" or key[-1:] != b"]"
                or data[pos + 4 + length:value] != b" " * padding):
            return None
        entries.append((key, data[value:value + width]))
        pos = value + width
    return entries


def _held_for_writing(path):
    """False only when the kernel grants a read lease, which it refuses while any process (in any PID namespace)
    has the file open for writing or mapped writable. True when that cannot be asked here."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return True
    try:
        fcntl.fcntl(fd, _F_SETLEASE, _F_RDLCK)
    except OSError:
        return True
    else:
        fcntl.fcntl(fd, _F_SETLEASE, _F_UNLCK)
        return False
    finally:
        os.close(fd)


def _replace(directory, path, entries):
    """Crash-safe: a new file, flushed, renamed over the old one, then the directory flushed. Readers see one file
    or the other, and both hold the same values for every series still shown."""
    body = bytearray(8)
    for key, value in entries:
        body += struct.pack("i", len(key)) + key + b" " * (8 - ((len(key) + 4) % 8)) + value
    struct.pack_into("i", body, 0, len(body))
    size = _INITIAL_FILE_SIZE
    while size < len(body):
        size *= 2
    temporary = path + _REWRITE_SUFFIX
    _remove_quietly(temporary)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, path)
    _fsync_directory(directory)


def _fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_aside(directory, path, kind, n):
    # Still a valid file for Chorus and for a collector of its layout: keep it a .db under another identity, as
    # Chorus's .NET writers do, so no count is lost (compaction folds it like any dead writer's file).
    aside = os.path.join(directory, "{}_{}-aside{}.db".format(kind, n, int(time.time() * 1000)))
    os.rename(path, aside)
    if os.path.exists(path + _REMOVED_SUFFIX):
        os.rename(path + _REMOVED_SUFFIX, aside + _REMOVED_SUFFIX)


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _reap_ownerless_live_gauges(directory, own_slot):
    # Slots whose owner died and that nobody took since still hold that owner's live gauges, which Python's
    # collector keeps summing. A shared probe lock keeps a new owner out while we delete, and does not
    # disturb other probes (Chorus's reader probes the same way).
    names = os.listdir(directory)
    slots = {int(m.group(1)) for m in map(_LOCK_FILE.match, names) if m}
    stale = {int(m.group(1)) for m in map(_LIVE_GAUGE_FILE.match, names) if m} & slots
    stale.discard(own_slot)
    for n in sorted(stale):
        fd = _try_lock(os.path.join(directory, LOCK_FILE_FORMAT.format(n)), fcntl.LOCK_SH, create=False)
        if fd is None:
            continue
        try:
            _remove_live_gauges(directory, {n})
        finally:
            os.close(fd)


def _drop_own_live_gauges_at_exit():
    # A normal exit (graceful recycle) is the one death we see coming: do what mark_process_dead would, so
    # Python's collector stops counting this process's live gauges now rather than when the slot is next
    # taken. Only while the slot is still ours: a forked child that never took one inherits this hook.
    if _lease.slot is not None and _lease.owner_pid == os.getpid() and _lease.directory is not None:
        _remove_live_gauges(_lease.directory, {_lease.slot})


def _before_fork():
    _lease.guard.acquire()


def _after_fork_in_parent():
    _lease.guard.release()


def _after_fork_in_child():
    # The guard was acquired by the forking thread before fork; the fresh one replaces it.
    _forget_inherited_lease()


atexit.register(_drop_own_live_gauges_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)
