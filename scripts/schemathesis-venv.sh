#!/usr/bin/env bash
# Install schemathesis (from PyPI) into a virtualenv under ~/.cache, once.
# Idempotent: a second run only checks. Prints the path of the executable.
# Used by `make test` (the admin API's OpenAPI fuzz test runs it).
#
# The version is pinned: the test runs `--checks all`, and a newer release
# may add checks or change what they expect; move the pin deliberately.
set -euo pipefail

VENV="${WEIR_VENV:-$HOME/.cache/weir-venv}"
VERSION='4.32.5'
BIN="$VENV/bin/schemathesis"

if ! [ -x "$BIN" ] || ! "$BIN" --version 2>/dev/null | grep -qF "version $VERSION"; then
    echo "schemathesis: installing $VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
fi
echo "$BIN"
