#!/usr/bin/env bash
# Starts `server` from a jar on ephemeral ports, waits for its ready file, stops it, and prints the
# milliseconds from launch to ready (wall clock) and the CPU time the JVM used until then (less
# disturbed by other load on a shared machine); with RUNS > 1, every run and then the medians. scripts/test.sh
# runs it once on the server jar as a smoke test (the jar's class list is checked by running it).
# Usage: scripts/server-startup.sh JAR [RUNS] [MAIN_CLASS]   (MAIN_CLASS: run with -cp instead of -jar)
set -euo pipefail
jar="${1:?usage: scripts/server-startup.sh JAR [RUNS] [MAIN_CLASS]}"
runs="${2:-1}"
main="${3:-}"
[ -f "$jar" ] || { echo "server-startup: no jar at $jar (build it: mvn -DskipTests package -pl extproc-app -am)" >&2; exit 1; }
dir="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
if [ -n "$main" ]; then launch=(java -cp "$jar" "$main"); else launch=(java -jar "$jar"); fi

times=()
cpus=()
ticks=$(getconf CLK_TCK)
for ((run = 1; run <= runs; run++)); do
  ready="$dir/ready-$run.properties"
  start=$(date +%s%N)
  "${launch[@]}" server --port 0 --admin-port 0 --ready-file "$ready" >"$dir/server-$run.log" 2>&1 &
  pid=$!
  deadline=$((start + 60000000000))
  until [ -f "$ready" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server-startup: the server exited before it was ready; its output:" >&2
      cat "$dir/server-$run.log" >&2
      exit 1
    fi
    if [ "$(date +%s%N)" -gt "$deadline" ]; then echo "server-startup: not ready within 60 s" >&2; exit 1; fi
    sleep 0.01
  done
  ms=$((($(date +%s%N) - start) / 1000000))
  # A class missing from the jar can also surface as a logging-configuration error, not a crash.
  if grep -qE '\|-(ERROR|WARN) in |NoClassDefFoundError|ClassNotFoundException' "$dir/server-$run.log"; then
    echo "server-startup: the server reported errors while starting; its output:" >&2
    cat "$dir/server-$run.log" >&2
    exit 1
  fi
  # utime and stime, fields 14 and 15 of /proc/PID/stat (the command name, field 2, has no spaces here).
  cpu=$(awk -v t="$ticks" '{print int(($14 + $15) * 1000 / t)}' "/proc/$pid/stat")
  times+=("$ms")
  cpus+=("$cpu")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  [ "$runs" -gt 1 ] && echo "run $run: ${ms} ms, ${cpu} ms CPU"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "server ready in $(median "${times[@]}") ms, $(median "${cpus[@]}") ms CPU (median of $runs; $(basename "$jar"), $(du -h "$jar" | cut -f1))"
