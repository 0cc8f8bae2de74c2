"""Write a GitLab-sized multiprocess directory: WRITERS writers x 40,000 entries in Chorus's 16-byte layout.

Usage: /usr/bin/python3 bench/gitlab/gen_host.py DIR [WRITERS] [SEED]   (default 128 writers)

The shape of issue 11's GitLab-sized host (GitLab's web workers export ~40 k series each, most from histograms):
every writer holds the same keys, as the processes of one application do, in four files named as Chorus's writer
names them (`<kind>_<identity>.db`, identities 100000, 100001, ...):
  counter_<id>.db        20 counter families x 600 label sets                                12,000 entries
  histogram_<id>.db      6 histogram families x 300 label sets x (12 buckets + _sum)       23,400 entries
  gauge_livesum_<id>.db  4 livesum gauge families x 650 label sets                          2,600 entries
  gauge_all_<id>.db      10 `all` gauge families x 200 label sets (one series per writer)   2,000 entries
40,000 entries a writer, 5.12 M for 128; merged, about 296,000 samples (the `all` gauges keep one series per
writer: 256,000 of them). Keys are json.dumps([family, sample, labels, help], sort_keys=True), as prometheus_client
and Chorus write them. The bytes are written directly (docs/file-format.md's layout: int32 `used`, 4 bytes, then
entries of int32 key length, key, 1..8 spaces to 8-byte alignment, float64 value, float64 timestamp), one template
per kind with each writer's values patched in, so 1 GB takes seconds, not the minutes MmapedDict would. A file's
size is a power of two of at least 64 KiB, as prometheus_client grows it; the part past `used` is a hole.
"""
import json
import os
import random
import struct
import sys

ENTRIES_PER_WRITER = 40_000
FIRST_IDENTITY = 100_000
BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]
CONTROLLERS = [f"Projects::Component{c}Controller" for c in range(30)]
HELP = "Synthetic metric."


def key(family, sample, labels):
    return json.dumps([family, sample, labels, HELP], sort_keys=True).encode()


def counter_keys():
    keys = []
    for f in range(20):
        family = f"gitlab_component_{f}_events"
        for i in range(600):
            labels = {"controller": CONTROLLERS[i % 30], "action": f"action_{i // 30}", "feature_category": f"category_{i % 7}"}
            keys.append(("counter", key(family, family + "_total", labels)))
    return keys


def histogram_keys():
    keys = []
    for f in range(6):
        family = f"gitlab_request_{f}_duration_seconds"
        for i in range(300):
            labels = {"controller": CONTROLLERS[i % 30], "action": f"action_{i // 30}"}
            for bound in BUCKETS:
                keys.append(("bucket", key(family, family + "_bucket", dict(labels, le=bound))))
            keys.append(("sum", key(family, family + "_sum", labels)))
    return keys


def livesum_keys():
    keys = []
    for f in range(4):
        family = f"gitlab_in_progress_{f}"
        for i in range(650):
            keys.append(("gauge", key(family, family, {"endpoint": f"/api/v4/projects/:id/endpoint_{i}"})))
    return keys


def all_keys():
    keys = []
    for f in range(10):
        family = f"gitlab_process_stat_{f}"
        for i in range(200):
            keys.append(("gauge", key(family, family, {"kind": f"memory_component_{i}"})))
    return keys


KINDS = [("counter", counter_keys), ("histogram", histogram_keys), ("gauge_livesum", livesum_keys), ("gauge_all", all_keys)]


def template(keys):
    """The file's bytes up to `used`, and each entry's role and value offset."""
    out = bytearray(8)
    entries = []
    for role, k in keys:
        padding = 8 - (len(k) + 4) % 8
        out += struct.pack("<i", len(k)) + k + b" " * padding
        entries.append((role, len(out)))
        out += bytes(16)
    struct.pack_into("<i", out, 0, len(out))
    return out, entries


def capacity(used):
    size = 1 << 16
    while size < used:
        size *= 2
    return size


def value(role, rng):
    if role == "counter":
        return float(rng.randint(0, 100_000))
    if role == "bucket":
        return float(rng.randint(0, 5_000))
    if role == "sum":
        return rng.uniform(0, 10_000)
    return rng.uniform(0, 1e6)


def walk(data):
    """(value offset, role) of every entry of a file in this layout: what a live writer changes."""
    used = struct.unpack_from("<i", data, 0)[0]
    position, entries = 8, []
    while position + 4 <= used:
        length = struct.unpack_from("<i", data, position)[0]
        k = bytes(data[position + 4:position + 4 + length])
        value_at = position + 4 + length + (8 - (length + 4) % 8)
        sample = json.loads(k)[1]
        role = "bucket" if sample.endswith("_bucket") else "sum" if sample.endswith("_sum") else "counter" if sample.endswith("_total") else "gauge"
        entries.append((value_at, role))
        position = value_at + 16
    return entries


def main():
    if len(sys.argv) not in (2, 3, 4):
        print("usage: gen_host.py DIR [WRITERS] [SEED]", file=sys.stderr)
        return 2
    directory = sys.argv[1]
    writers = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    os.makedirs(directory, exist_ok=True)
    templates = [(kind, *template(make())) for kind, make in KINDS]
    assert sum(len(entries) for _, _, entries in templates) == ENTRIES_PER_WRITER
    for w in range(writers):
        for kind, data, entries in templates:
            for role, at in entries:
                struct.pack_into("<d", data, at, value(role, rng))
            path = os.path.join(directory, f"{kind}_{FIRST_IDENTITY + w}.db")
            with open(path, "wb") as f:
                f.write(data)
                f.truncate(capacity(len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
