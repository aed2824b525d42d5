#!/usr/bin/env bash
# Runs every test, the end-to-end ones against a real Envoy included. Installs Envoy first when
# none is found (scripts/install-envoy.sh) and headless Chromium for the report.html test
# (scripts/install-chromium.sh), and validates the deployment files (scripts/validate-deploy.sh).
# Then, on a full run (no extra arguments), checks the artifacts: the library jars are
# reproducible, the server jar starts, and an example project outside the build uses the
# installed artifacts through the BOM.
# Usage: scripts/test.sh [extra mvn arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/install-envoy.sh"
# The Helm chart, the Kubernetes manifests, the gateway resources and the Dockerfile (no cluster needed).
"$root/scripts/validate-deploy.sh"
EXTPROC_CHROMIUM="$("$root/scripts/install-chromium.sh")"
export EXTPROC_CHROMIUM
# install, not just verify: the example project below resolves the artifacts from the local repository.
mvn -B install "$@"
if [ "$#" -gt 0 ]; then
  echo "scripts/test.sh: extra mvn arguments given; the artifact checks run on a full run only"
  exit 0
fi
"$root/scripts/check-reproducible.sh"
"$root/scripts/server-startup.sh" "$root/extproc-app/target/extproc-server.jar"
echo "examples/bom-consumer: mvn test against the installed artifacts ..."
(cd "$root/examples/bom-consumer" && mvn -B -q -o test)
echo "examples/bom-consumer: passed"
