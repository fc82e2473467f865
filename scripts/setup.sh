#!/usr/bin/env bash
# Install siteaudit with its test tools into .venv, and Debian's Chromium when no browser is found.
# Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=""
apt_install() {  # apt_install PACKAGE...: Debian's packages, when root
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if can_apt; then
      echo "setup: installing Debian's python3-venv (needed to create .venv)" >&2
      apt_install python3-venv
      "$PY" -m venv .venv
    else
      echo "setup: $PY cannot create a virtual environment; install python3-venv" >&2
      exit 1
    fi
  fi
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]' 2> >(grep -v "is ignored: it is neither" >&2)

have_browser() {
  [ -n "${SITEAUDIT_BROWSER:-}" ] && [ -x "${SITEAUDIT_BROWSER}" ] && return 0
  for b in chromium chromium-browser google-chrome; do command -v "$b" >/dev/null 2>&1 && return 0; done
  return 1
}
if ! have_browser; then
  if can_apt; then
    echo "setup: installing Debian's chromium (playwright install cannot download here)" >&2
    apt_install chromium
  else
    echo "setup: no Chromium found and cannot install it (not root or no apt-get);" \
         "browser tests will be skipped. Install chromium or set SITEAUDIT_BROWSER." >&2
  fi
fi
# The tests run in a network namespace with only loopback, which `ip` brings up.
if ! command -v ip >/dev/null 2>&1 && can_apt; then
  echo "setup: installing Debian's iproute2 (ip, to bring up loopback for the tests)" >&2
  apt_install iproute2
fi
