#!/usr/bin/env bash
# Runs every Chorus test. Installs the real peers the tests use when they are missing
# (Debian packages: prometheus_client 0.16, uWSGI, gunicorn, Prometheus and promtool, systemd for
# systemd-analyze), fetches prometheus_client 0.21.1 into tests/peers/ (download only, no install), builds what
# ships (scripts/pack.sh: the NativeAOT chorus and the packages) and the solution once, then runs both test
# projects, and the integration tests that start chorus a second time against the native chorus (CHORUS_CLI=native), then a
# 30-second AFL++ smoke run of every fuzzing target (bench/fuzz; longer campaigns: bench/fuzz/README.md).
# Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || missing+=(python3-prometheus-client)
command -v uwsgi >/dev/null || missing+=(uwsgi)
[ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] || missing+=(uwsgi-plugin-python3)
command -v gunicorn >/dev/null || missing+=(gunicorn)
{ command -v promtool >/dev/null && command -v prometheus >/dev/null; } || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test peers: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

tests/peers/fetch-prometheus-client-0.21.sh
bash scripts/pack.sh 2>&1 | tail -n 4
dotnet build Chorus.slnx -c Release 2>&1 | tail -n 3
log=$(mktemp)
status=0
dotnet test Chorus.slnx -c Release --no-build 2>&1 | tee "$log" || status=$?
echo "Integration tests again, against the native chorus (those that start it: not the classes marked chorus=none):"
CHORUS_CLI=native dotnet test tests/Chorus.IntegrationTests -c Release --no-build --filter "chorus!=none" 2>&1 | tee -a "$log" || status=$?
echo "Soak, about 2.5 minutes (bench/soak: 600 worker and 60 chorus compact SIGKILLs beside chorus serve):"
soak_out=$(mktemp)
if nice /usr/bin/python3 bench/soak/soak.py --kills 600 --compaction-kills 60 --out "$soak_out"; then
  rm -f "$soak_out"
else
  # Kept: the timeline of scrapes, kills and compactions is what tells a rare loss apart.
  echo "bench/soak: an invariant broke (the violations are listed above; details kept in $soak_out)"; status=1
fi
echo "Fuzzing smoke run (30 s per target, bench/fuzz):"
bash bench/fuzz/run.sh 30 || { echo "bench/fuzz found a crash or a hang (inputs in bench/fuzz/out/findings)"; status=1; }

# Sum the per-assembly summaries into the one closing line CI reads.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
if [ "$skipped" -gt 0 ]; then
  echo "Skipped tests are failures here: every peer is installed above."
  status=1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
