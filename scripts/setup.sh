#!/usr/bin/env bash
# Install siteaudit with its test tools into .venv, and Debian's Chromium when no browser is found.
# Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]' 2> >(grep -v "is ignored: it is neither" >&2)

have_browser() {
  [ -n "${SITEAUDIT_BROWSER:-}" ] && [ -x "${SITEAUDIT_BROWSER}" ] && return 0
  for b in chromium chromium-browser google-chrome; do command -v "$b" >/dev/null 2>&1 && return 0; done
  return 1
}
if ! have_browser; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium (playwright install cannot download here)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: no Chromium found and cannot install it (not root or no apt-get);" \
         "browser tests will be skipped. Install chromium or set SITEAUDIT_BROWSER." >&2
  fi
fi
