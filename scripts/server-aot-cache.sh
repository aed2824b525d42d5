#!/usr/bin/env bash
# Makes the Java 25 AOT caches of the ext_proc server (JEP 483/514/515: classes loaded and linked, and
# method profiles, from a training run), one per jar, beside the jars and never committed:
#   extproc-app/target/extproc.jdk25.aot          used by extproc bench, demo and up (class path extproc.jar)
#   extproc-app/target/extproc-server.jdk25.aot   used by ./extproc server (extproc-server.jar)
# The training run is a short pass-through benchmark through a real Envoy. A cache is used only with the
# jar it was trained on: rebuilding a jar makes its cache stale (then it is ignored); run this again.
# Usage: scripts/server-aot-cache.sh        (needs a JDK 25: $EXTPROC_SERVER_JAVA or /usr/lib/jvm/*25*)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./extproc --version > /dev/null   # builds the jars when missing or stale
options_dir="$root/extproc-stack/src/main/resources/dev/extproc/stack"
jar="$root/extproc-app/target/extproc.jar"
server_jar="$root/extproc-app/target/extproc-server.jar"

java_cmd="${EXTPROC_SERVER_JAVA:-}"
if [ -z "$java_cmd" ]; then
  for home in /usr/lib/jvm/*; do
    if [ ! -L "$home" ] && [ -x "$home/bin/java" ] && grep -q '^JAVA_VERSION="25' "$home/release" 2>/dev/null; then
      java_cmd="$home/bin/java"
      break
    fi
  done
fi
[ -d "$java_cmd" ] && java_cmd="$java_cmd/bin/java"
if [ -z "$java_cmd" ] || ! "$java_cmd" -version 2>&1 | grep -q 'version "25'; then
  echo "server-aot-cache: no JDK 25 (set EXTPROC_SERVER_JAVA to one); AOT caches need the Java that uses them" >&2
  exit 2
fi

# The server's options, as ServerJvm reads them (comment lines dropped).
mapfile -t options < <(cat "$options_dir/server-jvm.options" "$options_dir/server-jvm-25.options" | grep -v '^\s*#' | tr -s ' \t' '\n' | grep -v '^$')
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
train() { # $1: the cache to write; the rest: extproc bench options
  local cache="$1"; shift
  rm -f "$cache"
  local jvm_args=()
  for o in "${options[@]}" "-XX:AOTCacheOutput=$cache"; do jvm_args+=("--server-jvm-option=$o"); done
  java -jar "$jar" bench --scenario passthrough --concurrency 2 --body-size 8MiB --routes /full-duplex-streamed \
    --server-java "$java_cmd" "${jvm_args[@]}" "$@" --report-dir "$work/run-$(basename "$cache")" > "$work/bench.log" 2>&1 \
    || { tail -n 20 "$work/bench.log" >&2; exit 1; }
}

# 1. extproc.jar: the bench starts the server from it and stops it (SIGTERM), which writes the cache.
echo "server-aot-cache: training $(basename "$jar") on $("$java_cmd" -version 2>&1 | head -n 1) ..." >&2
train "${jar%.jar}.jdk25.aot"

# 2. extproc-server.jar: our own server process, measured by the bench through --ext-proc-address.
echo "server-aot-cache: training $(basename "$server_jar") ..." >&2
cache="${server_jar%.jar}.jdk25.aot"
rm -f "$cache"
"$java_cmd" "${options[@]}" "-XX:AOTCacheOutput=$cache" -jar "$server_jar" server --host 127.0.0.1 --port 0 \
  --admin-port 0 --ready-file "$work/server.ready" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do [ -s "$work/server.ready" ] && grep -q '^grpc.port=' "$work/server.ready" && break; sleep 0.1; done
port="$(sed -n 's/^grpc.port=//p' "$work/server.ready")"
[ -n "$port" ] || { echo "server-aot-cache: the server did not start; its log:" >&2; cat "$work/server.log" >&2; kill "$server_pid"; exit 1; }
java -jar "$jar" bench --scenario passthrough --concurrency 2 --body-size 8MiB --routes /full-duplex-streamed \
  --ext-proc-address "127.0.0.1:$port" --report-dir "$work/run-server" > "$work/bench.log" 2>&1 \
  || { tail -n 20 "$work/bench.log" >&2; kill "$server_pid"; exit 1; }
kill -TERM "$server_pid"
wait "$server_pid" || true
for c in "${jar%.jar}.jdk25.aot" "$cache"; do
  [ -s "$c" ] || { echo "server-aot-cache: $c was not written; the server log:" >&2; cat "$work/server.log" >&2; exit 1; }
  echo "server-aot-cache: wrote $c ($(du -h "$c" | cut -f1))" >&2
done
