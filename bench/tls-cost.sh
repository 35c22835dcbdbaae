#!/usr/bin/env bash
# What the TLS layer and the HTTP/2 front add to a request, in counts that do not depend on how busy
# the machine is: one Gatehouse (the provider of --tls-provider, default openssl) under these loads
# (the first four by default) on the same route and the same two replicas,
#
#   h1      wrk, HTTP/1.1 keep-alive, cleartext               (the baseline)
#   https   wrk, HTTP/1.1 keep-alive over TLS                  (h1 + what TLS adds)
#   h2c     h2load, HTTP/2 with prior knowledge, cleartext     (h1 + what the HTTP/2 front adds)
#   h2      h2load, HTTP/2 over TLS (ALPN h2)                  (both)
#   h1close wrk, HTTP/1.1, "Connection: close", cleartext     (a connection per request, no TLS)
#   hs      wrk, HTTP/1.1, "Connection: close", over TLS       (h1close + a full TLS handshake:
#                                                               wrk does not resume sessions)
#
# C connections (h2load: x 10 streams each). For each load, in one window of --duration seconds:
# bytes allocated per request (bench/jfr_summary.py: whole JVM and the event loop), system calls
# per request on the event loop (perf, as bench/syscalls.sh), and where the event loop's CPU goes
# (bench/cpu_split.py, JFR sampling every millisecond: shares of samples, not times). For the two
# loads with a connection per request, "per request" is per connection (system calls: per close of
# a client socket), the event loop's CPU time per connection is read from /proc (it does depend on
# how busy the machine is: cache and scheduler), and bench/conn_split.py
# splits the event loop's CPU by where the code lives (perf: kernel by system call, BoringSSL, the
# JVM, Java) and the Java part by step of the connection's life (accept, SNI, engine creation,
# SslHandler, pipeline setup, timers, close, the request).
#
#   bench/tls-cost.sh [--duration SECONDS] [--warmup SECONDS] [--connections C] [--tls-provider P]
#                     [--loads "h1 https h2c h2 h1close hs"] [--top N] [--keep DIR]
#
# On io_uring (GATEHOUSE_TRANSPORT=io_uring) the socket work goes through the ring, not through system
# calls: the operations the event loop submits are counted per connection too, by opcode (perf on
# the io_uring:io_uring_submit_req tracepoint), with the completions the loop reaps (io_uring_complete;
# a multishot poll or recv completes more than once per submission) and the kernel's internal poll
# arms (io_uring:io_uring_poll_arm: a recv or send that found nothing to do and waits).
# GATEHOUSE_JAR picks the build (a before/after pair: run it twice). Needs perf with the syscalls
# tracepoints (root). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10; WARMUP=15; CONNECTIONS=32; PROVIDER=openssl; LOADS="h1 https h2c h2"; TOP=30; KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --tls-provider) PROVIDER=$2; shift 2;; --loads) LOADS=$2; shift 2;; --top) TOP=$2; shift 2;;
    --keep) KEEP=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
command -v perf >/dev/null || { echo "bench/tls-cost.sh needs perf (linux-perf)" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port); GH=$(free_port); GHT=$(free_port); GHS=$(free_port)
# One ECDSA P-256 leaf for bench.local, signed by a CA made here.
tls_bench_certificate "$WORK"
replica "$R1"; replica "$R2"

mkdir -p "$WORK/gatehouse"
tls_bench_yaml "$R1" "$R2" "$WORK" > "$WORK/gatehouse/bench.yaml"

# shellcheck disable=SC2086
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
  -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA[@]}" --default-certificate-secret default/bench-tls \
  --tls-provider "$PROVIDER" --address 127.0.0.1 --port "$GH" --tls-port "$GHT" --status-port "$GHS" \
  --access-log off > "$WORK/gatehouse.log" 2>&1 &
GH_PID=$!; PIDS+=($GH_PID)
for _ in $(seq 1 150); do
  curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$GHT:127.0.0.1" "https://bench.local:$GHT/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$GHT:127.0.0.1" "https://bench.local:$GHT/" >/dev/null \
  || { echo "gatehouse did not come up:"; cat "$WORK/gatehouse.log"; exit 1; }
TIDS=$(grep -l '^gatehouse-io' /proc/"$GH_PID"/task/*/comm | cut -d/ -f5 | paste -sd, -)
[ -n "$TIDS" ] || { echo "no gatehouse-io thread in process $GH_PID" >&2; exit 1; }

# the profile settings with method sampling every millisecond (as bench/syscalls.sh --jfr)
sed 's|<setting name="period" control="method-sampling-java-interval">[^<]*<|<setting name="period" control="method-sampling-java-interval">1 ms<|' \
  "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$WORK/sample-1ms.jfc"

cpu_ticks_of() { # the event-loop threads' CPU time so far, in clock ticks (utime + stime)
  local t=0 tid
  for tid in ${TIDS//,/ }; do
    t=$((t + $(awk '{print $14 + $15}' /proc/"$GH_PID"/task/"$tid"/stat)))
  done
  echo "$t"
}

load() { # name duration -> requests completed
  case $1 in
    h1) taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s -H 'Host: bench.local' "http://127.0.0.1:$GH/" | awk '/requests in/ {print $1}';;
    https) taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s -H 'Host: bench.local' "https://127.0.0.1:$GHT/" | awk '/requests in/ {print $1}';;
    h1close) taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s -H 'Host: bench.local' -H 'Connection: close' \
      "http://127.0.0.1:$GH/" | awk '/requests in/ {print $1}';;
    hs) taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s -H 'Host: bench.local' -H 'Connection: close' \
      "https://127.0.0.1:$GHT/" | awk '/requests in/ {print $1}';;
    h2c|h2)
      local url="http://127.0.0.1:$GH/"; [ "$1" = h2 ] && url="https://127.0.0.1:$GHT/"
      taskset -c 1 h2load -c"$CONNECTIONS" -m10 -t1 -D"$2" -H ':authority: bench.local' "$url" 2>&1 \
        | awk '/^requests:/ {gsub(",",""); print $8}';;
  esac
}

echo "# bench/tls-cost.sh --duration $DURATION --connections $CONNECTIONS --tls-provider $PROVIDER ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(basename "$JAR"))"
for name in $LOADS; do
  echo "tls-cost: warming up $name for ${WARMUP}s" >&2
  load "$name" "$WARMUP" >/dev/null
  jcmd "$GH_PID" JFR.start name="$name" settings="$WORK/sample-1ms.jfc" >/dev/null
  perf stat -x, -e 'syscalls:sys_enter_*' -e context-switches -t "$TIDS" -o "$WORK/perf-$name" &
  PERF=$!
  perf record -q -g -e cpu-clock -F 997 -t "$TIDS" -o "$WORK/record-$name" >/dev/null 2>&1 &
  RECORD=$!
  perf record -q -e io_uring:io_uring_submit_req -e io_uring:io_uring_poll_arm -e io_uring:io_uring_complete -t "$TIDS" \
    -o "$WORK/ring-$name" >/dev/null 2>&1 &
  RING=$!
  sleep 0.3
  ticks=$(cpu_ticks_of)
  requests=$(load "$name" "$DURATION")
  ticks=$(( $(cpu_ticks_of) - ticks ))
  kill -INT "$PERF" "$RECORD" "$RING"; wait "$PERF" "$RECORD" "$RING" 2>/dev/null || true
  jcmd "$GH_PID" JFR.stop name="$name" filename="$WORK/$name.jfr" >/dev/null
  echo
  echo "## $name: $requests requests in ${DURATION}s"
  echo
  echo '```'
  # a load with a connection per request counts per connection: per close of a client socket
  # (upstream connections stay pooled), which holds even when perf attached late on a busy machine
  per=request
  case $name in h1close|hs) per=connection;; esac
  awk -F, -v n="$requests" -v per="$per" '$1 ~ /^[0-9.]+$/ && $1 > 0 { sub("syscalls:sys_enter_", "", $3); c[$3] = $1 }
    END { if (per == "connection" && c["close"] > n / 2) n = c["close"]  # on io_uring the close is a ring operation
          for (k in c) { s[k] = c[k] / n; if (k != "context-switches") all += s[k] }
          printf "event loop syscalls per %s: %.2f (", per, all; sep = ""
          for (k in s) if (k != "context-switches" && s[k] >= 0.01) { printf "%s%s %.2f", sep, k, s[k]; sep = ", " }
          printf "); context switches %.3f\n", s["context-switches"] }' "$WORK/perf-$name"
  perf script -i "$WORK/ring-$name" -F event,trace 2>/dev/null | awk -v n="$requests" -v per="$per" '
    /io_uring_submit_req/ { for (i = 1; i <= NF; i++) if ($i == "opcode") { op = $(i + 1); sub(",", "", op); c[op]++; all++ } }
    /io_uring_poll_arm/ { arms++ }
    /io_uring_complete/ { done++ }
    END { if (all == 0) exit
          printf "event loop ring operations per %s: %.2f (", per, all / n; sep = ""
          for (k in c) if (c[k] / n >= 0.01) { printf "%s%s %.2f", sep, k, c[k] / n; sep = ", " }
          printf "); completions %.2f; kernel poll arms %.2f\n", done / n, arms / n }'
  # the event loop's CPU by where the code lives: the kernel (system calls, TCP), BoringSSL
  # (libnetty_tcnative), the JVM itself, JIT-compiled Java ([unknown]/perf map), libc
  awk -v t="$ticks" -v n="$requests" -v hz="$(getconf CLK_TCK)" -v per="$per" \
    'BEGIN { printf "event loop CPU time per %s: %.0f us (%d ticks for %d, from /proc)\n", per, t / hz * 1e6 / n, t, n }'
  echo "event loop CPU by library (perf, share of samples):"
  perf report -q --no-children -i "$WORK/record-$name" --sort dso --stdio 2>/dev/null | awk 'NF && $1 ~ /%$/ && $1+0 >= 0.5 {print "  " $0}'
  python3 bench/jfr_summary.py "$WORK/$name.jfr" "$requests" 12 | sed '/^top CPU frames/,$d'
  case $name in
    h1close|hs) python3 bench/conn_split.py "$WORK/$name.jfr" "$WORK/record-$name";;
    *) python3 bench/cpu_split.py "$WORK/$name.jfr" "$TOP";;
  esac
  echo '```'
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp "$WORK/$name.jfr" "$WORK/record-$name" "$KEEP/"; fi
done
