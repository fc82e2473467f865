#!/usr/bin/env bash
# The one test command: install what is needed, then lint, type-check and run every test.
# The tests run inside a network namespace that has only loopback where the machine allows it,
# so a test that reaches beyond this machine fails instead of passing by luck.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
run_isolated() {
  if ! command -v ip >/dev/null 2>&1; then
    echo "test: no ip command to bring up loopback in a network namespace; running in the host network" >&2
    "$@"
  elif unshare -n true 2>/dev/null; then
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
  elif unshare -rn true 2>/dev/null; then
    unshare -rn sh -c 'ip link set lo up && exec "$@"' sh "$@"
  else
    echo "test: cannot create a network namespace here; running in the host network" >&2
    "$@"
  fi
}
run_isolated .venv/bin/pytest "$@"
