#!/usr/bin/env bash
# Stops exactly the processes start_all.sh started, by the PIDs it recorded in run/.
# Each service runs in a session of its own (start_all.sh uses setsid), so its recorded
# pid is also its process group id: the whole group (the master and every worker) gets
# SIGTERM, and SIGKILL if anything of it is still there 30 s later.
set -uo pipefail
cd "$(dirname "$0")"
QUIET=0; [[ "${1:-}" == "--quiet" ]] && QUIET=1
shopt -s nullglob
for pidfile in run/*.pid; do
  name="$(basename "$pidfile" .pid)"
  pid="$(cat "$pidfile")"
  if kill -0 -- "-$pid" 2>/dev/null; then
    target="-$pid"          # the service's process group
  elif kill -0 "$pid" 2>/dev/null; then
    target="$pid"           # started before services had a group of their own
  else
    rm -f "$pidfile"
    continue
  fi
  kill -TERM -- "$target"
  for _ in $(seq 1 60); do kill -0 -- "$target" 2>/dev/null || break; sleep 0.5; done
  kill -0 -- "$target" 2>/dev/null && kill -KILL -- "$target"
  [[ $QUIET == 1 ]] || echo "stopped $name (process group $pid)"
  rm -f "$pidfile"
done
