#!/usr/bin/env bash
# The one test command: installs what the tests need, makes sure PostgreSQL and Redis
# run, and runs every test (pass pytest arguments to narrow it down).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh --test
bash scripts/ensure_infra.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$(pwd)"
exec .venv/bin/python -m pytest "$@"
