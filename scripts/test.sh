#!/usr/bin/env bash
# Runs every test, the end-to-end ones against a real Envoy included. Installs Envoy first when
# none is found (scripts/install-envoy.sh), and headless Chromium for the report.html test
# (scripts/install-chromium.sh). Usage: scripts/test.sh [extra mvn arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/install-envoy.sh"
EXTPROC_CHROMIUM="$("$root/scripts/install-chromium.sh")"
export EXTPROC_CHROMIUM
exec mvn -B verify "$@"
