"""Checks that every key Chorus wrote equals Python's json.dumps of the same parts (run with /usr/bin/python3).

usage: writer_check_keys.py DBFILE MANIFEST   (MANIFEST: JSON list of [family, sample, label v, help])
Prints "ok N" or the first mismatch and exits 1.
"""
import json
import sys

from prometheus_client.mmap_dict import MmapedDict

db, manifest = sys.argv[1], sys.argv[2]
with open(manifest, encoding="utf-8") as f:
    expected = [json.dumps([fam, sample, {"v": v, "a": "x"}, help_], sort_keys=True) for fam, sample, v, help_ in json.load(f)]
found = [entry[0] for entry in MmapedDict.read_all_values_from_file(db)]
if found != expected:
    for i, (a, b) in enumerate(zip(found, expected)):
        if a != b:
            print(f"mismatch at {i}: chorus={a!r} python={b!r}")
            break
    else:
        print(f"count differs: chorus={len(found)} python={len(expected)}")
    sys.exit(1)
print(f"ok {len(found)}")
