"""Parses Prometheus text exposition (0.0.4) into {(name, sorted labels): value}, enough to compare scrapes.

Label order is normalised (prometheus_client and Chorus may order labels differently); comments are skipped.
"""

import re

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse(text):
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise ValueError("not a sample line: {!r}".format(line))
        name, labels, value = match.groups()
        pairs = tuple(sorted(_LABEL.findall(labels or "")))
        samples[(name, pairs)] = float(value)
    return samples


def total(samples, name):
    """The sum of every series of one sample name (e.g. app_requests_total over all its labels)."""
    return sum(value for (sample_name, _), value in samples.items() if sample_name == name)


def is_cumulative(name):
    """Samples that must never decrease: counters' _total, histograms' _count and _bucket (not _sum: the order of
    float additions changes when compaction folds files, so its last bits may move)."""
    return name.endswith("_total") or name.endswith("_count") or name.endswith("_bucket")


def differences(expected, actual, relative=1e-9):
    """Series missing on either side or with different values (relative tolerance for float sums)."""
    problems = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            problems.append("missing in the second: {} = {}".format(_show(key), expected[key]))
        elif key not in expected:
            problems.append("missing in the first: {} = {}".format(_show(key), actual[key]))
        else:
            a, b = expected[key], actual[key]
            if a != b and abs(a - b) > relative * max(abs(a), abs(b)):
                problems.append("{}: {} vs {}".format(_show(key), a, b))
    return problems


def _show(key):
    name, labels = key
    return name + "{" + ",".join('{}="{}"'.format(k, v) for k, v in labels) + "}"
