#!/usr/bin/env bash
# Stops exactly the processes start_all.sh started, by the PIDs it recorded in run/.
set -uo pipefail
cd "$(dirname "$0")"
QUIET=0; [[ "${1:-}" == "--quiet" ]] && QUIET=1
shopt -s nullglob
for pidfile in run/*.pid; do
  name="$(basename "$pidfile" .pid)"
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    [[ $QUIET == 1 ]] || echo "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
done
