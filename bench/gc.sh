#!/usr/bin/env bash
# What the collector does to the proxy under the bench's load: one `gatehouse local` at a time, pinned
# to core 0, wrk on core 1 (32 keep-alive connections at `/`), with -Xlog:gc* to a file; per
# collector and heap setting, the GC pauses per second and per 100 000 requests (which does not depend
# on how fast a busy machine lets the proxy go), their mean and max, the time paused as a share of the
# run, the young generation's size, and wrk's p50 / p99 / p99.9 in the same run.
#
#   bench/gc.sh [--duration SECONDS] [--warmup SECONDS] [--connections C] [SETTING ...]
#
# A SETTING is a label and JVM flags, "label=-XX:+UseSerialGC -Xmn32m"; without any, the collectors
# and young sizes docs/decisions.md compares. Every setting also gets -XX:ActiveProcessorCount=1 (one
# core, as in the bench and in a pod with a CPU limit of 1) and -XX:MaxRAM=512m (the chart's memory
# limit, so MaxRAMPercentage sizes the heap as in the pod). Single-process figures, not compared to a
# peer: counts and pause lengths hold on a busy machine better than rates do (the load average is
# printed). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=30; WARMUP=10; CONNECTIONS=32; SETTINGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    -*) echo "unknown option $1" >&2; exit 2;;
    *) SETTINGS+=("$1"); shift;;
  esac
done
CHART="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
if [ ${#SETTINGS[@]} -eq 0 ]; then
  SETTINGS=(
    "parallel=-XX:+UseParallelGC $CHART"
    "parallel-xmn32m=-XX:+UseParallelGC -Xmn32m $CHART"
    "parallel-xmn128m=-XX:+UseParallelGC -Xmn128m $CHART"
    "serial=-XX:+UseSerialGC $CHART"
    "serial-xmn32m=-XX:+UseSerialGC -Xmn32m $CHART"
    "g1=-XX:+UseG1GC $CHART"
  )
fi

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port)
replica "$R1"; replica "$R2"
mkdir -p "$WORK/config"
bench_yaml "$R1" "$R2" bench-secret-key > "$WORK/config/bench.yaml"
P999=$(wrk_p999_script)

echo "# bench/gc.sh --duration $DURATION --warmup $WARMUP --connections $CONNECTIONS ($(date -u +%FT%TZ), $(nproc) cores, java: $(java -version 2>&1 | head -1))"
printf '| setting | JVM flags | load avg | rps | pauses/s | pauses per 100k requests | mean pause ms | max pause ms | paused %% | young gen MiB | p50 ms | p99 ms | p99.9 ms |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for setting in "${SETTINGS[@]}"; do
  label=${setting%%=*}; flags=${setting#*=}
  P=$(free_port); S=$(free_port)
  # shellcheck disable=SC2086 # flags is a list
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $flags -XX:ActiveProcessorCount=1 -XX:MaxRAM=512m \
    -Xlog:gc*:file="$WORK/gc-$label.log":uptimemillis -Dio.netty.leakDetection.level=disabled \
    -jar "$JAR" local --dir "$WORK/config" "${EXTRA[@]}" --address 127.0.0.1 --port "$P" --status-port "$S" \
    --access-log off > "$WORK/gh-$label.log" 2>&1 &
  pid=$!; PIDS+=($pid)
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$P/" >/dev/null 2>&1 && break; sleep 0.1; done
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$WARMUP"s "http://127.0.0.1:$P/" >/dev/null
  start_ms=$(awk -v p="$pid" 'BEGIN { getline u < "/proc/uptime"; split(u, a, " "); getline s < ("/proc/" p "/stat");
    n = split(substr(s, index(s, ")") + 2), f, " "); printf "%d", a[1] * 1000 - f[20] * 1000 / '"$HZ"' }')
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r rps p50 p99 errors p999 < <(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION"s --latency -s "$P999" "http://127.0.0.1:$P/" | wrk_stats)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # the pauses of the measured window only: the JVM's uptime (ms) at its start is start_ms
  python3 - "$WORK/gc-$label.log" "$start_ms" "$DURATION" "$label" "$flags" "$load" "$rps" "$p50" "$p99" "$p999" "$errors" <<'PY'
import re, sys
log, t0, dur, label, flags, load, rps, p50, p99, p999, errors = sys.argv[1:12]
t0, dur = int(t0), float(dur)
pauses, young = [], []
for line in open(log):
    m = re.match(r"\[(\d+)ms\]", line)
    if not m or int(m.group(1)) < t0 or int(m.group(1)) > t0 + dur * 1000:
        continue
    p = re.search(r"\bPause (Young|Full|Remark|Cleanup).* (\d+\.\d+)ms$", line)
    if p:
        pauses.append(float(p.group(2)))
    y = re.search(r"(PSYoungGen|DefNew): \d+K(?:\(\d+K\))?->\d+K\((\d+)K\)", line)  # Parallel, Serial: young capacity
    if y:
        young.append(int(y.group(2)) / 1024)
    e = re.search(r"Eden regions: \d+->\d+\((\d+)\)", line)                   # G1: eden regions (1 MiB here)
    if e:
        young.append(int(e.group(1)))
n = len(pauses)
mean = sum(pauses) / n if n else 0
per100k = n / (float(rps) * dur) * 1e5 if float(rps) > 0 else 0
print(f"| {label} | `{flags}` | {load} | {float(rps)/1000:.1f}k | {n/dur:.1f} | {per100k:.1f} | {mean:.2f} | {max(pauses, default=0):.2f} "
      f"| {100*sum(pauses)/1000/dur:.1f} | {min(young, default=0):.0f}–{max(young, default=0):.0f} | {p50} | {p99} | {p999} |"
      + (f" errors {errors}" if errors != "0" else ""))
PY
done
