#!/usr/bin/env bash
# Torn reads: a writer appends to a fresh file again and again while a reader reads it, SECONDS per reader:
# prometheus_client 0.21's collector (plain, then through chorus_slot.protect_collector) and Chorus's reader (a new one
# per collection, then one reader throughout, as a server keeps it).
# Usage: bench/torn-reads/run.sh [SECONDS]   (from the repository root; needs cc and the 0.21 peer, see tests/peers)
set -euo pipefail
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/writer" "$here/writer.c"
dotnet build "$root/bench/Chorus.Benchmarks" -c Release -o "$work/bench" > /dev/null
peer="$root/tests/peers/prometheus_client-0.21/usr/lib/python3/dist-packages"

against() {
    rm -rf "$work/dir" && mkdir "$work/dir"
    "$work/writer" "$work/dir" "$seconds" &
    "$@"
    wait
}

against env PYTHONPATH="$peer" /usr/bin/python3 "$here/collect.py" "$work/dir" "$seconds" plain
against env PYTHONPATH="$peer" /usr/bin/python3 "$here/collect.py" "$work/dir" "$seconds" protect
against dotnet "$work/bench/Chorus.Benchmarks.dll" torn-reads --dir "$work/dir" --seconds "$seconds"
against dotnet "$work/bench/Chorus.Benchmarks.dll" torn-reads --dir "$work/dir" --seconds "$seconds" --one-reader
