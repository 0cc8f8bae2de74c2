"""Scrape a /metrics URL with Accept-Encoding: gzip, as Prometheus does, and print the body Python's gzip module decompresses.

Usage: /usr/bin/python3 gunzip_scrape.py URL ACCEPT

Writes the decompressed body unchanged to stdout, and to stderr the number of gzip members found by decompressing them
one by one with zlib (which must give the same bytes as gzip.decompress, which reads them all). Exits non-zero when the
response is not gzip-encoded or the two decompressions differ.
"""
import gzip
import sys
import urllib.request
import zlib


def members(wire):
    """The members' bytes, decompressed one at a time."""
    parts = []
    rest = wire
    while rest:
        member = zlib.decompressobj(wbits=31)
        parts.append(member.decompress(rest))
        if not member.eof:
            raise ValueError("truncated gzip member")
        rest = member.unused_data
    return parts


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: gunzip_scrape.py URL ACCEPT", file=sys.stderr)
        return 2
    request = urllib.request.Request(sys.argv[1], headers={"Accept": sys.argv[2], "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        encoding = response.headers.get("Content-Encoding")
        wire = response.read()
    if encoding != "gzip":
        print(f"Content-Encoding is {encoding!r}, not gzip", file=sys.stderr)
        return 1
    body = gzip.decompress(wire)
    parts = members(wire)
    if b"".join(parts) != body:
        print("member-by-member decompression differs from gzip.decompress", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(body)
    print(f"members {len(parts)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
