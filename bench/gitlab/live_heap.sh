#!/usr/bin/env bash
# The live heap of `chorus serve` on the GitLab-sized host with its 128 live writers: which types hold the memory.
#
# Usage: bash bench/gitlab/live_heap.sh HOST_DIR TAG [CHORUS_DLL]
#   HOST_DIR    a host written by bench/gitlab/gen_host.py (copied afresh to /dev/shm/chorus-heap-copy, then deleted)
#   TAG         names the outputs: /tmp/TAG.dmp (the heap), /tmp/TAG.stat (dumpheap -stat -live, types of 2 MB or more)
#   CHORUS_DLL  the framework-dependent CLI to run (default: this checkout's Release build)
# Needs dotnet-dump (dotnet tool install -g dotnet-dump). Starts the writers (16 live_host.py processes, 8 writers each),
# serve, 3 back-to-back scrapes and 6 after 5 s idle (gzip, as Prometheus asks), prints RssAnon after each, then dumps.
set -euo pipefail
HOST=$1; TAG=$2
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
DLL=${3:-$REPO/src/Chorus.Cli/bin/Release/net10.0/chorus.dll}
COPY=/dev/shm/chorus-heap-copy
PORT=${PORT:-19123}
rm -rf "$COPY"; cp -r "$HOST" "$COPY"
WRITERS=()
# shellcheck source=bench/gitlab/live_writers.sh
source "$REPO/bench/gitlab/live_writers.sh"
start_live_writers "$COPY"
sleep 5
CHORUS_DEBUG_STAGE_TIMES=1 dotnet "$DLL" serve --dir "$COPY" --listen "127.0.0.1:$PORT" 2> "/tmp/$TAG-serve.log" &
SERVE=$!
trap 'kill $SERVE "${WRITERS[@]}" 2>/dev/null || true; rm -rf "$COPY"' EXIT
sleep 4
for _ in 1 2 3; do curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_total} ' "http://127.0.0.1:$PORT/metrics"; done; echo
for _ in 1 2 3 4 5 6; do
  sleep 5
  curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_total} ' "http://127.0.0.1:$PORT/metrics"
  sleep 0.5
  awk '/RssAnon/ {printf "RssAnon=%d MiB  ", $2 / 1024}' "/proc/$SERVE/status"
done
echo
dotnet-dump collect -p "$SERVE" --type Heap -o "/tmp/$TAG.dmp" > /dev/null
dotnet-dump analyze "/tmp/$TAG.dmp" -c "dumpheap -stat -live" -c "exit" \
  | awk '{s = $3; gsub(",", "", s); if (s + 0 > 2000000) print}' > "/tmp/$TAG.stat"
awk '{s = $3; gsub(",", "", s); t += s; print} END {printf "live total (types of 2 MB or more): %d bytes\n", t}' "/tmp/$TAG.stat"
