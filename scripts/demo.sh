#!/usr/bin/env bash
# The one demo command: install, serve the bundled example sites on loopback, scan them, write reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/siteaudit demo "$@"
