#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then lint, type
# check and pytest (unit, replay, property, PostgreSQL, Kafka, Chromium, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# Debian's Chromium renders the departure audit and drives the browser tests (Playwright,
# no browser download); a CJK font makes the zh-CN pages' screenshots readable.
missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
[ -d /usr/share/fonts/opentype/noto ] || missing="$missing fonts-noto-cjk"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        echo "missing: $missing, and this user cannot apt-get install it" >&2
    fi
fi

# The PostgreSQL tests use the server on 127.0.0.1:5432; start it if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
fi

.venv/bin/ruff check domain projections consumers scripts tests
.venv/bin/ruff format --check domain projections consumers scripts tests
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
