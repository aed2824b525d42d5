#!/usr/bin/env bash
# Makes sure a headless Chromium is available for the test that renders the bench's report.html.
# Order of search, first match wins: $EXTPROC_CHROMIUM, then `chromium` or `chromium-browser` on
# PATH; otherwise installs Debian's `chromium` package (apt-get update, then apt-get install -y
# chromium; as root, or through sudo without a password). Idempotent and quick when Chromium is there.
# Prints the binary path on stdout, what it found or did on stderr. Usage: scripts/install-chromium.sh
set -euo pipefail

say() { echo "install-chromium: $*" >&2; }
fail() { echo "install-chromium: ERROR: $*" >&2; exit 1; }

works() { "$1" --version >/dev/null 2>&1; }

if [ -n "${EXTPROC_CHROMIUM:-}" ]; then
  works "$EXTPROC_CHROMIUM" || fail "EXTPROC_CHROMIUM=$EXTPROC_CHROMIUM does not run (\`$EXTPROC_CHROMIUM --version\` failed)"
  echo "$EXTPROC_CHROMIUM"
  exit 0
fi
for name in chromium chromium-browser; do
  if path="$(command -v "$name")" && works "$path"; then
    echo "$path"
    exit 0
  fi
done

command -v apt-get >/dev/null 2>&1 \
  || fail "no Chromium found and no apt-get to install it; install Chromium and set EXTPROC_CHROMIUM=/path/to/chromium"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  fail "no Chromium found; installing Debian's package needs root: run \`sudo apt-get install -y chromium\`, or set EXTPROC_CHROMIUM=/path/to/chromium"
fi
say "installing Debian's chromium package (apt-get update; apt-get install -y chromium; a minute or two) ..."
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || fail "apt-get update failed"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >&2 || fail "apt-get install -y chromium failed"
path="$(command -v chromium)" || fail "the chromium package installed no \`chromium\` command"
works "$path" || fail "$path --version failed after the install"
say "installed $("$path" --version)"
echo "$path"
