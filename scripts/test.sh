#!/usr/bin/env bash
# Runs every test, the end-to-end ones against a real Envoy included. Installs Envoy first when
# none is found (scripts/install-envoy.sh), and validates the deployment files first
# (scripts/validate-deploy.sh). Usage: scripts/test.sh [extra mvn arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/install-envoy.sh"
# The Helm chart, the Kubernetes manifests, the gateway resources and the Dockerfile (no cluster needed).
"$root/scripts/validate-deploy.sh"
exec mvn -B verify "$@"
