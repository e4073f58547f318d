#!/usr/bin/env bash
# Install schemathesis (from PyPI) into a virtualenv under ~/.cache, once.
# Idempotent: a second run only checks. Prints the path of the executable.
# Used by `make test` (the admin API's OpenAPI fuzz test runs it).
set -euo pipefail

VENV="${WEIR_VENV:-$HOME/.cache/weir-venv}"
SPEC='schemathesis>=4.32,<5'
BIN="$VENV/bin/schemathesis"

if [ ! -x "$BIN" ]; then
    echo "schemathesis: installing into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SPEC" >&2
fi
echo "$BIN"
