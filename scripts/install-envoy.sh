#!/usr/bin/env bash
# Placeholder: installs Envoy into .venv (filled in by the Envoy work).
set -euo pipefail
echo "install-envoy: not implemented yet" >&2
