#!/usr/bin/env bash
# Where Gatehouse's time and memory go per request: a JFR recording (settings=profile) of the proxy
# under wrk at full load, on `/` and on `/profile`, with the bench's config (bench/run.sh).
#
#   bench/alloc.sh [--duration SECONDS] [--warmup SECONDS] [--connections C] [--access-log on|off]
#                  [--top N] [--keep DIR]
#
# For each path it prints:
#   - bytes per request: the bytes the whole JVM allocated during the recording (the sum over its
#     threads of jdk.ThreadAllocationStatistics, last sample minus first) divided by the requests
#     wrk completed in the same window; and the same for the gatehouse-io event loop alone;
#   - the top allocation sites (jdk.ObjectAllocationSample weights, by class and first project frame);
#   - the top CPU frames (jdk.ExecutionSample, by top frame).
# Allocation counts do not depend on how busy the machine is, so this runs anywhere; the CPU frames
# are shares of samples, not times. --keep DIR keeps the .jfr files. Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=30; WARMUP=15; CONNECTIONS=32; ACCESS_LOG=off; TOP=15; KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --access-log) ACCESS_LOG=$2; shift 2;; --top) TOP=$2; shift 2;; --keep) KEEP=$2; shift 2;;
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
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
  -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA[@]}" --address 127.0.0.1 --port "$GH" --status-port "$GHS" \
  "${LOG_FLAG[@]}" > "$WORK/gatehouse.log" 2>&1 &
GH_PID=$!; PIDS+=($GH_PID)
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$GHS/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$GH/profile" -H "apikey: $KEY" >/dev/null || { echo "gatehouse did not come up:"; cat "$WORK/gatehouse.log"; exit 1; }

run() { # path header
  local path=$1 header=$2 jfr="$WORK/${1//\//_}.jfr" requests
  local hargs=(); [ -n "$header" ] && hargs=(-H "$header")
  echo "alloc: warming up $path for ${WARMUP}s" >&2
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$WARMUP"s "${hargs[@]}" "http://127.0.0.1:$GH$path" >/dev/null
  jcmd "$GH_PID" JFR.start name=alloc settings=profile allocation-profiling=maximum >/dev/null
  requests=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION"s "${hargs[@]}" "http://127.0.0.1:$GH$path" \
    | awk '/requests in/ {print $1}')
  jcmd "$GH_PID" JFR.stop name=alloc filename="$jfr" >/dev/null
  echo "## $path (access log $ACCESS_LOG): $requests requests in ${DURATION}s"
  python3 bench/jfr_summary.py "$jfr" "$requests" "$TOP"
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp "$jfr" "$KEEP/"; fi
}
echo "# bench/alloc.sh --duration $DURATION --connections $CONNECTIONS --access-log $ACCESS_LOG ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
run / ""
run /profile "apikey: $KEY"
