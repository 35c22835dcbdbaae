#!/usr/bin/env bash
# Where Gatehouse's p99 at 32 connections comes from: nginx and one or more Gatehouse settings
# (JVM flags) loaded in interleaved rounds, each request's latency logged (h2load --log-file), and
# what happened at the same moments recorded, so the slowest requests can be matched with it.
#
#   bench/p99.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--path PATH]
#                [--no-jfr] [--sched] [--priority NICE] [--gap SECONDS] [--out FILE] [SETTING ...]
#
# A SETTING is a label and JVM flags, "label=-XX:+UseParallelGC -Xmn64m ..."; without any, one
# Gatehouse with the chart's flags (lib.sh's GATEHOUSE_BENCH_JVM). Every peer's warm-up ends with
# 5 s of one request per connection and 10 s of a new upstream connection per request (lib.sh's
# warm_connections), so its connection set-up is compiled as its requests are, then twice 40 s idle and loads again (lib.sh's warm_after_idle, as bench/run.sh);
# a label ending in "+cold" skips both (the A/B that found the start-of-load stall). Same layout as bench/run.sh:
# gateways pinned to core 0, h2load (HTTP/1.1, one request in flight per connection) and the two
# replicas to core 1. Per load it records:
#   - every request's start and latency (h2load), cut into the first second and the rest (the
#     start-of-load stall and the steady tail apart);
#   - per thread of the gateway, CPU and run-queue wait from /proc (bench/threads.py): whether
#     the event loop waits for the core behind the JVM's other threads (compiler, GC, timers) or
#     behind other processes;
#   - for Gatehouse, unless --no-jfr, a JFR recording of safepoints, collections, compilations and
#     deoptimisations only, with their wall-clock times: each slow request (over the load's p99) is
#     matched with the events its lifetime overlaps, against the share of all requests that do;
#   - stalls: spans of 2 ms or more in which the gateway completed no request at all;
#   - with --sched, `perf sched` on core 0 for the first round's loads: who held the core while
#     the gateway's main thread was ready to run.
# --priority runs the whole bench (gateways, replicas, load) in a scheduling group of its own with
# that nice value (-10: about nine times the weight of another group; Linux's autogroups share the
# cores between sessions first), so that other work on a shared machine takes less of the cores
# from both gateways alike; the JVM's threads still share core 0 among themselves as in a pod.
# --gap idles that long before every load, so each peer's loads are further apart (bench/run.sh's
# are ~90 s apart per peer and path: past nginx's 60 s upstream keepalive timeout and Gatehouse's).
# Prints a markdown report (and appends it to --out when given). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ARGS=("$@")
ROUNDS=3; DURATION=10; WARMUP=30; CONNECTIONS=32; URLPATH=/; JFR=1; SCHED=0; OUT=""; PRIORITY=""; GAP=0; SETTINGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --path) URLPATH=$2; shift 2;; --no-jfr) JFR=0; shift;;
    --sched) SCHED=1; shift;; --out) OUT=$2; shift 2;; --priority) PRIORITY=$2; shift 2;; --gap) GAP=$2; shift 2;;
    -*) echo "unknown option $1" >&2; exit 2;;
    *) SETTINGS+=("$1"); shift;;
  esac
done
if [ -n "$PRIORITY" ] && [ -z "${P99_GROUP:-}" ]; then
  # a new session is a new autogroup; its nice value weighs it against the other sessions'
  exec env P99_GROUP=1 setsid -w bash -c 'echo "$1" > /proc/self/autogroup && shift && exec "$@"' - "$PRIORITY" bench/p99.sh "${ARGS[@]}"
fi
COMMAND="bench/p99.sh --rounds $ROUNDS --duration $DURATION --warmup $WARMUP --connections $CONNECTIONS --path $URLPATH"
[ "$JFR" = 1 ] || COMMAND+=" --no-jfr"
[ -z "$PRIORITY" ] || COMMAND+=" --priority $PRIORITY"
[ "$GAP" = 0 ] || COMMAND+=" --gap $GAP"

# shellcheck source=bench/lib.sh
. bench/lib.sh
[ ${#SETTINGS[@]} -gt 0 ] || SETTINGS=("chart=$GATEHOUSE_BENCH_JVM")

replicas_and_nginx

declare -A URL PID FLAGS
PEERS=(nginx)
URL[nginx]="http://127.0.0.1:$NGX$URLPATH"
cat > "$WORK/p99.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="p99" description="safepoints, collections, compilations, deoptimisations">
  <event name="jdk.SafepointBegin"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
  <event name="jdk.SafepointEnd"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
  <event name="jdk.ExecuteVMOperation"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
  <event name="jdk.GarbageCollection"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
  <event name="jdk.Compilation"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
  <event name="jdk.Deoptimization"><setting name="enabled">true</setting><setting name="stackTrace">false</setting></event>
</configuration>
JFC
for setting in "${SETTINGS[@]}"; do
  label=${setting%%=*}; FLAGS[$label]=${setting#*=}
  DIAG=()
  [ "$JFR" = 1 ] && DIAG=(-XX:StartFlightRecording=name=p99,settings="$WORK/p99.jfc")
  local_gatehouse "$label" "$JAR" "${FLAGS[$label]}" "${DIAG[@]}"
  PID[$label]=$GH_PID; URL[$label]="$GH_URL$URLPATH"
  PEERS+=("$label")
done
PID[nginx]=$(pgrep -P "$NGX_PID" | head -1) # the worker: threads.py reads one process
key_header "$URLPATH"

# warm-up with the client that measures (docs/benchmarks.md, "The start-of-load stall"), in loads
# of at most 15 s
for peer in "${PEERS[@]}"; do
  left=$WARMUP; [ "$peer" = nginx ] && left=5
  echo "bench: warming up $peer for ${left}s" >&2
  while [ "$left" -gt 0 ]; do
    taskset -c 1 h2load --h1 -t1 -c"$CONNECTIONS" -m1 -D "$((left < 15 ? left : 15))" "${HEADER[@]}" "${URL[$peer]}" >/dev/null
    left=$((left - 15))
  done
  [[ $peer == *+cold ]] || warm_connections "${URL[$peer]}" 5 "$CONNECTIONS"
done
# then two idle spells, each followed by loads, as bench/run.sh does (lib.sh's warm_after_idle); "+cold" peers skip it
AFTER_IDLE=()
for peer in "${PEERS[@]}"; do [[ $peer == *+cold ]] || AFTER_IDLE+=("${URL[$peer]%"$URLPATH"}/"); done
echo "bench: twice idle for 40s, then 5s and six 1s loads on each peer" >&2
warm_after_idle 40 "${AFTER_IDLE[@]}"

LOADS="$WORK/loads.tsv"; : > "$LOADS"
for round in $(seq 1 "$ROUNDS"); do
  for peer in "${PEERS[@]}"; do
    pid=${PID[$peer]}; log="$WORK/$peer-$round.log"
    sleep "$GAP"
    python3 bench/threads.py snapshot "$pid" > "$WORK/before.json"
    sched=""
    if [ "$SCHED" = 1 ] && [ "$round" = 1 ]; then
      sched="$WORK/sched-$peer.data"
      perf sched record -C 0 -o "$sched" -- sleep "$DURATION" >/dev/null 2>&1 &
      SCHED_PID=$!
    fi
    t0=$(date +%s.%N)
    taskset -c 1 h2load --h1 -t1 -c"$CONNECTIONS" -m1 -D "$DURATION" "${HEADER[@]}" --log-file="$log" "${URL[$peer]}" > "$WORK/h2load.out" 2>&1 \
      || { cat "$WORK/h2load.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 bench/threads.py snapshot "$pid" > "$WORK/after.json"
    if [ -n "$sched" ]; then
      wait "$SCHED_PID" || true
      # who had core 0 while the gateway's busiest thread waited for it
      perf sched timehist -i "$sched" 2>/dev/null > "$WORK/timehist-$peer.txt" || true
      sched="$WORK/timehist-$peer.txt"
    fi
    python3 bench/threads.py diff "$WORK/before.json" "$WORK/after.json" "$(echo "$t1 - $t0" | bc)" > "$WORK/threads-$peer-$round.json"
    printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$peer" "$log" "$WORK/threads-$peer-$round.json" "$sched" >> "$LOADS"
    echo "bench: round $round $peer: $(grep -m1 'finished in' "$WORK/h2load.out")" >&2
  done
done

EVENTS=()
if [ "$JFR" = 1 ]; then
  for peer in "${PEERS[@]}"; do
    [ "$peer" = nginx ] && continue
    jcmd "${PID[$peer]}" JFR.dump name=p99 filename="$WORK/$peer.jfr" >/dev/null
    jfr print --json --events jdk.SafepointBegin,jdk.SafepointEnd,jdk.GarbageCollection,jdk.Compilation,jdk.Deoptimization,jdk.ExecuteVMOperation \
      "$WORK/$peer.jfr" > "$WORK/events-$peer.json"
    EVENTS+=("$peer=$WORK/events-$peer.json")
  done
fi
FLAGLIST=()
for peer in "${PEERS[@]}"; do [ "$peer" = nginx ] || FLAGLIST+=("$peer=${FLAGS[$peer]}"); done
REPORT=$(python3 bench/p99_tail.py --command "$COMMAND" --load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --flags "${FLAGLIST[@]}" --events "${EVENTS[@]}" --loads "$LOADS")
echo "$REPORT"
[ -z "$OUT" ] || printf '\n%s\n' "$REPORT" >> "$OUT"
