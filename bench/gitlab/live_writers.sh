# Sourced by the GitLab-host scripts: start_live_writers DIR starts the host's 128 live writers (16 live_host.py
# processes, 8 writers each, 100 random changes per writer every 0.5 s) on DIR and adds their PIDs to WRITERS.
start_live_writers() {
  local dir=$1 p ids w
  for p in $(seq 0 15); do
    ids=$(for w in $(seq "$p" 16 127); do echo -n "$((100000 + w)) "; done)
    # shellcheck disable=SC2086
    /usr/bin/python3 "$REPO/bench/gitlab/live_host.py" "$dir" 100 0.5 $ids > /dev/null &
    WRITERS+=($!)
  done
}
