#!/usr/bin/env bash
# Checks that the library jars are reproducible: builds the published library modules a second time,
# from a copy of the sources in another directory, and compares every jar byte for byte with the one
# the main build left in target/. Run after `mvn package` (scripts/test.sh does); about a minute.
# Usage: scripts/check-reproducible.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
modules=(extproc-envoy-api extproc-headers extproc-core extproc-testing extproc-testkit extproc-processors extproc-transforms extproc-sse extproc-server)
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT

cd "$root"
for module in "${modules[@]}"; do
  ls "$module"/target/*.jar >/dev/null 2>&1 || { echo "check-reproducible: no jars in $module/target: run mvn package first" >&2; exit 1; }
done
# Tracked and new (not ignored) files: what a fresh clone plus the working changes would hold.
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy" 2>/dev/null || true
[ -d .mvn ] && cp -r .mvn "$copy/"

echo "check-reproducible: building ${modules[*]} again in $copy ..."
(cd "$copy" && mvn -B -q -o package -Dmaven.test.skip=true -Dmaven.javadoc.skip=true \
    -pl "$(IFS=,; echo "${modules[*]}")" -am)

differ=0
compared=0
for module in "${modules[@]}"; do
  for jar in "$copy/$module"/target/*.jar; do
    name="$(basename "$jar")"
    if ! cmp -s "$jar" "$module/target/$name"; then
      echo "check-reproducible: $module/target/$name differs between the two builds" >&2
      differ=1
    fi
    compared=$((compared + 1))
  done
done
[ "$differ" -eq 0 ] || { echo "check-reproducible: not reproducible (see project.build.outputTimestamp and plugin versions)" >&2; exit 1; }
echo "check-reproducible: $compared jars identical across two builds"
