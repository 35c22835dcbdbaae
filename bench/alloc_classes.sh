#!/usr/bin/env bash
# What Gatehouse allocates per request, exactly, by class: the proxy under Epsilon GC (which frees
# nothing, so every object allocated stays on the heap), `jcmd GC.class_histogram -all` before and
# after a wrk run, the difference divided by the requests wrk completed. Counts, not samples, so the
# figures do not depend on how busy the machine is (the JIT's own few objects aside, which a warm-up
# keeps out). The bench's config and JVM flags otherwise (bench/run.sh).
#
#   bench/alloc_classes.sh [--duration SECONDS] [--warmup SECONDS] [--connections C] [--top N] [--path P]
#                          [--access-log on|off]
#
# --access-log on writes the access log to a file (the chart's default), as bench/run.sh's gatehouse-log;
# the default is off, as the other peers.
# GATEHOUSE_JAR and GATEHOUSE_TRANSPORT as for every bench script (bench/lib.sh). Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10; WARMUP=20; CONNECTIONS=32; TOP=25; PATHS=(/ /profile); ACCESS_LOG=off
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --top) TOP=$2; shift 2;; --path) PATHS=("$2"); shift 2;; --access-log) ACCESS_LOG=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
case "$ACCESS_LOG" in on|off) ;; *) echo "--access-log: $ACCESS_LOG (expected: on or off)" >&2; exit 2;; esac

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port); GH=$(free_port); GHS=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"
mkdir -p "$WORK/gatehouse"
bench_yaml "$R1" "$R2" "$KEY" > "$WORK/gatehouse/bench.yaml"
LOG_FLAG=(--access-log off)
[ "$ACCESS_LOG" = on ] && LOG_FLAG=(--access-log "$WORK/access.log")
# the chart's flags without its collector and heap size: Epsilon needs room for every byte of the run
JVM=$(sed -E 's/-XX:\+Use[A-Za-z]+GC//; s/-XX:MaxRAM=[^ ]*//; s/-XX:MaxRAMPercentage=[^ ]*//; s/-Xm[sx][^ ]*//g' <<<"$GATEHOUSE_BENCH_JVM")
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $JVM -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xms6g -Xmx6g \
  -XX:-UseTLAB -Dio.netty.leakDetection.level=disabled \
  -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA[@]}" --address 127.0.0.1 --port "$GH" --status-port "$GHS" \
  "${LOG_FLAG[@]}" > "$WORK/gatehouse.log" 2>&1 &
GH_PID=$!; PIDS+=($GH_PID)
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$GHS/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$GH/profile" -H "apikey: $KEY" >/dev/null || { echo "gatehouse did not come up:"; cat "$WORK/gatehouse.log"; exit 1; }

histogram() { jcmd "$GH_PID" GC.class_histogram -all | awk '$1 ~ /^[0-9]+:$/ {print $4, $2, $3}'; }

echo "# bench/alloc_classes.sh --duration $DURATION --connections $CONNECTIONS --access-log $ACCESS_LOG transport=${GATEHOUSE_TRANSPORT:-default} ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
for path in "${PATHS[@]}"; do
  hargs=(); [ "$path" = /profile ] && hargs=(-H "apikey: $KEY")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$WARMUP"s "${hargs[@]}" "http://127.0.0.1:$GH$path" >/dev/null
  histogram > "$WORK/before"
  requests=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION"s "${hargs[@]}" "http://127.0.0.1:$GH$path" \
    | awk '/requests in/ {print $1}')
  histogram > "$WORK/after"
  echo "## $path: $requests requests"
  # objects and bytes per request by class, largest first, after the total
  awk -v n="$requests" '
    NR == FNR { c[$1] = $2; b[$1] = $3; next }
    { db = $3 - b[$1]; if (db > 0) { total += db; printf "%8.2f %8.1f  %s\n", ($2 - c[$1]) / n, db / n, $1 } }
    END { printf "total %.0f\n", total / n > "/dev/stderr" }' "$WORK/before" "$WORK/after" 2> "$WORK/total" \
    | sort -k2,2 -n -r > "$WORK/sorted"
  head -n "$TOP" "$WORK/sorted" > "$WORK/classes" # not in the pipe: head leaving early would fail sort (pipefail)
  echo "bytes per request: $(awk '{print $2}' "$WORK/total") (all classes)"
  printf "%8s %8s  %s\n" obj/req B/req class
  cat "$WORK/classes"
done
