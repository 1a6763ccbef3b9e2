#!/usr/bin/env bash
# Campus Services Hub: install what is missing, then (re)start every service under its
# production server on the spec's ports, on SQLite unless .env says otherwise.
# Stop with: bash stop_all.sh
#   bash start_all.sh --restart <service>   a rolling restart of one service: new workers
#   on the same listening socket, nothing refused, the others untouched (README).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
RESTART=""
if [[ "${1:-}" == "--restart" ]]; then
  RESTART="${2:?usage: bash start_all.sh --restart <service>}"
fi
bash scripts/install.sh
[[ -n $RESTART ]] || bash stop_all.sh --quiet

export PYTHONPATH="$ROOT" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
RUN_DIR="$ROOT/run"
mkdir -p "$RUN_DIR"
# Reading the settings once before any service starts also makes the checkout's JWT
# secret when JWT_SECRET_KEY is unset (outside production): a random one, kept in
# run/jwt_secret (git-ignored) and read by every service, never a constant from the repo.
read -r LOG_DIR FLASK_ENV_NOW SECRET_SOURCE < <(.venv/bin/python -c '
import os
from shared.config import LOCAL_JWT_SECRET_FILE, get_settings
s = get_settings()
own = s.jwt_secret_key == os.environ.get("JWT_SECRET_KEY")
print(s.log_dir, s.flask_env, "JWT_SECRET_KEY" if own else os.environ.get("JWT_SECRET_FILE", LOCAL_JWT_SECRET_FILE))')

# Each service runs in a session of its own (setsid): its master and workers form one
# process group whose id is the pid recorded here, and stop_all.sh stops the whole group.
start_service() {  # name entry
  setsid nohup .venv/bin/python "$2" >>"$RUN_DIR/$1.out" 2>&1 &
  echo $! >"$RUN_DIR/$1.pid"
}
wait_healthy() {  # name port log
  for _ in $(seq 1 180); do
    if curl -fsS "http://127.0.0.1:$2/health" >/dev/null 2>&1; then
      printf '  %-16s healthy  http://localhost:%s\n' "$1" "$2"
      return 0
    fi
    kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null || break
    sleep 0.5
  done
  printf '  %-16s FAILED; see %s/%s.log and %s/%s.out\n' "$1" "$LOG_DIR" "$3" "$RUN_DIR" "$1"
  return 1
}

mapfile -t SERVICES < <(.venv/bin/python -m shared.serve list)
if [[ -n $RESTART ]]; then
  target="$(.venv/bin/python -m shared.serve name "$RESTART")" || exit 2
  for line in "${SERVICES[@]}"; do
    read -r name entry port log <<<"$line"
    [[ $name == "$target" ]] || continue
    pid="$(cat "$RUN_DIR/$name.pid" 2>/dev/null || true)"
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      echo "==> rolling restart of $name (master pid $pid, port $port)"
      .venv/bin/python -m shared.serve restart "$name" "$pid"
    else
      echo "==> $name was not running; starting it"
      start_service "$name" "$entry"
      wait_healthy "$name" "$port" "$log"
    fi
    exit $?
  done
  echo "$target is not installed in this checkout" >&2
  exit 2
fi

for line in "${SERVICES[@]}"; do
  read -r name entry port log <<<"$line"
  start_service "$name" "$entry"
  printf '  started %-16s pid %-7s port %s\n' "$name" "$(cat "$RUN_DIR/$name.pid")" "$port"
done

echo "==> waiting for every /health"
for line in "${SERVICES[@]}"; do
  read -r name entry port log <<<"$line"
  wait_healthy "$name" "$port" "$log" || exit 1
done

GATEWAY_PORT="$(.venv/bin/python -c 'from shared.config import get_settings; print(get_settings().service_port("gateway"))')"
if [[ $FLASK_ENV_NOW == production ]]; then
  LOGINS="no default accounts in production: the first admin is ADMIN_EMAIL, or see $LOG_DIR/usermgmt.log"
else
  # The default accounts are defined once, in shared/accounts.py.
  LOGINS="$(.venv/bin/python -c 'from shared.accounts import DEFAULT_USERS
print("\n                  ".join(f"{a.email} / {a.password}" for a in DEFAULT_USERS))')"
fi
cat <<INFO

Campus Services Hub is running.
  Web app:        http://localhost:$GATEWAY_PORT
  API docs:       http://localhost:$GATEWAY_PORT/docs
  Service health: http://localhost:$GATEWAY_PORT/health/services
  Logins:         $LOGINS
  JWT secret:     $SECRET_SOURCE
  Logs:           $LOG_DIR/{gateway,usermgmt,booking,gpa,notification,maintenance}.log
  Stop:           bash stop_all.sh
INFO
