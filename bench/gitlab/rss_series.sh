#!/usr/bin/env bash
# serve's RssAnon scrape after scrape on the GitLab-sized host with its 128 live writers: where a single reading after the
# warm scrapes (bench/gitlab/run.py) falls in the cycle between two heap compactions is chance, a series shows the cycle.
#
# Usage: bash bench/gitlab/rss_series.sh HOST_DIR TAG CHORUS_BIN
#   HOST_DIR    a host written by bench/gitlab/gen_host.py (copied afresh to /dev/shm/chorus-rss-copy, then deleted)
#   TAG         names serve's standard error: /tmp/TAG-serve.log (with CHORUS_DEBUG_STAGE_TIMES=1, its stage times)
#   CHORUS_BIN  the native chorus to run (dotnet publish src/Chorus.Cli -c Release -r linux-x64 -o DIR)
# Starts the writers (16 live_host.py processes, 8 writers each, 100 changes per writer every 0.5 s) and serve, makes 3
# scrapes back to back, then 14 each after 5 s idle (gzip, text), and prints RssAnon after each of those 14 and the
# minimum, median and maximum of the last 8.
set -uo pipefail
HOST=$1; TAG=$2; BIN=$3
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
COPY=/dev/shm/chorus-rss-copy
PORT=${PORT:-19125}
rm -rf "$COPY"; cp -r "$HOST" "$COPY"
WRITERS=()
# shellcheck source=bench/gitlab/live_writers.sh
source "$REPO/bench/gitlab/live_writers.sh"
start_live_writers "$COPY"
sleep 5
CHORUS_DEBUG_STAGE_TIMES=1 "$BIN" serve --dir "$COPY" --listen "127.0.0.1:$PORT" 2> "/tmp/$TAG-serve.log" &
SERVE=$!
trap 'kill $SERVE "${WRITERS[@]}" 2>/dev/null || true; rm -rf "$COPY"' EXIT
sleep 4
for _ in 1 2 3; do curl -s -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:$PORT/metrics"; done
VALUES=()
for _ in $(seq 1 14); do
  sleep 5
  curl -s -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:$PORT/metrics"
  sleep 0.5
  VALUES+=("$(awk '/RssAnon/ {printf "%d", $2 / 1024}' "/proc/$SERVE/status")")
done
echo "$TAG RssAnon MiB: ${VALUES[*]}"
printf '%s\n' "${VALUES[@]:6}" | sort -n | awk '{v[NR] = $1} END {printf "last 8: min %d median %.1f max %d MiB\n", v[1], (v[4] + v[5]) / 2, v[NR]}'
