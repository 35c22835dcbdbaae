#!/usr/bin/env bash
# How Gatehouse's io_uring read path costs per request, A/B: each variant a Gatehouse of its own
# (a jar and JVM flags), started in turn on core 0 in every round (variants interleaved: A B C A B C),
# wrk c32 keep-alive on core 1, on `/` and `/profile` (key-auth). Per request on the event loop
# (gatehouse-io threads), for wrk's window only:
#   - ring operations submitted, by opcode (perf, io_uring:io_uring_submit_req), completions reaped
#     (io_uring_complete; a multishot recv completes more than once per submission), the kernel's
#     internal poll arms (io_uring_poll_arm: a recv that found the socket empty and waits);
#   - CPU µs per request (utime+stime of the event-loop threads from /proc over the requests wrk
#     completed: depends on how busy the machine is, read it as a ratio within one round).
#
#   - with --profile: the event loop's CPU samples (perf record, cpu-clock) by self symbol, the top
#     lines (kernel symbols; JIT-compiled Java shows as unresolved addresses).
#
#   bench/ring.sh [--duration S] [--warmup S] [--rounds R] [--connections C] [--profile] VARIANT...
#
# A VARIANT is name=jar[:jvm flags], e.g.
#   ring=app/target/gatehouse.jar
#   multishot=app/target/gatehouse.jar:-Dio.netty.iouring.recvMultiShotEnabled=true
#   poll=/tmp/poll.jar            (a build without the buffer ring, e.g. of 3a0c1a8)
# GATEHOUSE_TRANSPORT (default io_uring) picks the transport of every variant. Needs perf (root).
# Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10; WARMUP=15; ROUNDS=2; CONNECTIONS=32; PROFILE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --rounds) ROUNDS=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --profile) PROFILE=1; shift;;
    --*) echo "unknown option $1" >&2; exit 2;;
    *) break;;
  esac
done
[ $# -gt 0 ] || { echo "usage: bench/ring.sh [options] name=jar[:jvm flags]..." >&2; exit 2; }
command -v perf >/dev/null || { echo "bench/ring.sh needs perf (linux-perf)" >&2; exit 2; }
GATEHOUSE_TRANSPORT=${GATEHOUSE_TRANSPORT:-io_uring}
export GATEHOUSE_TRANSPORT

# shellcheck source=bench/lib.sh
. bench/lib.sh

KEY=bench-secret-key
R1=$(free_port); R2=$(free_port)
replica "$R1"; replica "$R2"
mkdir -p "$WORK/config"
bench_yaml "$R1" "$R2" "$KEY" > "$WORK/config/bench.yaml"

wrk_run() { # url duration [header] -> requests completed
  local hargs=(); [ -n "${3:-}" ] && hargs=(-H "$3")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s "${hargs[@]}" "$1" | awk '/requests in/ {print $1}'
}

echo "# bench/ring.sh --duration $DURATION --warmup $WARMUP --rounds $ROUNDS ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), transport $GATEHOUSE_TRANSPORT)"
printf '%-5s %-12s %-9s %9s %8s %8s %7s %7s  %s\n' round variant path requests cpu_us subm compl arms "submissions by opcode"
for round in $(seq 1 "$ROUNDS"); do
  for variant in "$@"; do
    name=${variant%%=*}; spec=${variant#*=}; jar=${spec%%:*}; flags=""
    [ "$spec" != "$jar" ] && flags=${spec#*:}
    port=$(free_port); status=$(free_port)
    # shellcheck disable=SC2086
    GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM $flags -Dio.netty.leakDetection.level=disabled \
      -jar "$jar" local --dir "$WORK/config" "${EXTRA[@]}" --address 127.0.0.1 --port "$port" --status-port "$status" \
      --access-log off > "$WORK/$name.log" 2>&1 &
    pid=$!; PIDS+=($pid)
    for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$status/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fs "http://127.0.0.1:$port/profile" -H "apikey: $KEY" | grep -q '"id":"' \
      || { echo "$name does not answer /profile with the key:" >&2; cat "$WORK/$name.log" >&2; exit 1; }
    tids=$(grep -l '^gatehouse-io' /proc/"$pid"/task/*/comm | cut -d/ -f5 | paste -sd, -)
    wrk_run "http://127.0.0.1:$port/" "$WARMUP" >/dev/null
    wrk_run "http://127.0.0.1:$port/profile" "$((WARMUP / 2))" "apikey: $KEY" >/dev/null
    for path in / /profile; do
      header=""; [ "$path" = /profile ] && header="apikey: $KEY"
      perf record -q -e io_uring:io_uring_submit_req -e io_uring:io_uring_poll_arm -e io_uring:io_uring_complete \
        -t "$tids" -o "$WORK/ring.data" >/dev/null 2>&1 &
      rec=$!
      prof=""
      if [ "$PROFILE" = 1 ]; then
        perf record -q -e cpu-clock -F 997 -t "$tids" -o "$WORK/cpu.data" >/dev/null 2>&1 &
        prof=$!
      fi
      sleep 0.3
      t0=0; for tid in ${tids//,/ }; do t0=$((t0 + $(awk '{print $14 + $15}' /proc/"$pid"/task/"$tid"/stat))); done
      requests=$(wrk_run "http://127.0.0.1:$port$path" "$DURATION" "$header")
      t1=0; for tid in ${tids//,/ }; do t1=$((t1 + $(awk '{print $14 + $15}' /proc/"$pid"/task/"$tid"/stat))); done
      kill -INT "$rec" $prof; wait "$rec" $prof 2>/dev/null || true
      perf script -i "$WORK/ring.data" -F event,trace 2>/dev/null | awk -v n="$requests" -v t=$((t1 - t0)) \
        -v hz="$(getconf CLK_TCK)" -v r="$round" -v v="$name" -v p="$path" '
        /io_uring_submit_req/ { for (i = 1; i <= NF; i++) if ($i == "opcode") { op = $(i + 1); sub(",", "", op); c[op]++; all++ } }
        /io_uring_poll_arm/ { arms++ }
        /io_uring_complete/ { done++ }
        END { ops = ""; for (k in c) if (c[k] / n >= 0.01) ops = ops sprintf("%s %.2f ", k, c[k] / n)
              printf "%-5s %-12s %-9s %9d %8.1f %8.2f %7.2f %7.2f  %s\n", r, v, p, n, t / hz * 1e6 / n, all / n, done / n, arms / n, ops }'
      if [ "$PROFILE" = 1 ]; then
        perf report -q --no-children -i "$WORK/cpu.data" --sort sym --stdio 2>/dev/null \
          | awk 'NF && $1 ~ /%$/ {print "        " $0}' | head -12 || true
      fi
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
