#!/usr/bin/env bash
# Campus Services Hub: install what is missing, then (re)start every service under its
# production server on the spec's ports, on SQLite unless .env says otherwise.
# Stop with: bash stop_all.sh
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
bash scripts/install.sh
bash stop_all.sh --quiet

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

mapfile -t SERVICES < <(.venv/bin/python -m shared.serve list)
for line in "${SERVICES[@]}"; do
  read -r name entry port log <<<"$line"
  nohup .venv/bin/python "$entry" >>"$RUN_DIR/$name.out" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  printf '  started %-16s pid %-7s port %s\n' "$name" "$!" "$port"
done

echo "==> waiting for every /health"
for line in "${SERVICES[@]}"; do
  read -r name entry port log <<<"$line"
  ok=0
  for _ in $(seq 1 180); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ok=1; break; fi
    if ! kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if [[ $ok == 1 ]]; then
    printf '  %-16s healthy  http://localhost:%s\n' "$name" "$port"
  else
    printf '  %-16s FAILED; see %s/%s.log and %s/%s.out\n' "$name" "$LOG_DIR" "$log" "$RUN_DIR" "$name"
    exit 1
  fi
done

GATEWAY_PORT="$(.venv/bin/python -c 'from shared.config import get_settings; print(get_settings().service_port("gateway"))')"
if [[ $FLASK_ENV_NOW == production ]]; then
  LOGINS="no default accounts in production: the first admin is ADMIN_EMAIL, or see $LOG_DIR/usermgmt.log"
else
  LOGINS="admin@example.com / admin123
                  faculty@example.com / faculty123
                  student@example.com / student123"
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
