#!/usr/bin/env bash
# What a new TLS connection costs Gatehouse in exact counts and where its process spends CPU on it:
# wrk with "Connection: close" over TLS (a full TLS 1.3 handshake and one request per connection,
# wrk does not resume), on the TLS benches' route and certificate (bench/lib.sh), two parts:
#
#   objects  the proxy under Epsilon GC (nothing is freed), `jcmd GC.class_histogram -all` before and
#            after a load, the difference per connection, by class (as bench/alloc_classes.sh does
#            for keep-alive requests). The totals also carry the process's background (`local`'s
#            directory scan) spread over the connections; a class row does not.
#   threads  the chart's JVM flags (bench/lib.sh), CPU time per connection by thread name from /proc
#            over a load after the warm-up: the event loop, and what the per-core rate of bench/tls.sh
#            also divides by (the JIT's compiler threads, GC, `local`'s own threads).
#
#   bench/tls-objects.sh [--duration SECONDS] [--warmup SECONDS] [--connections C] [--top N]
#
# GATEHOUSE_JAR (a before/after pair: run it twice) and GATEHOUSE_TRANSPORT as for every bench script.
# Counts do not depend on how busy the machine is; the thread times do. Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=6; WARMUP=10; CONNECTIONS=16; TOP=25
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --top) TOP=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port)
tls_bench_certificate "$WORK"
replica "$R1"; replica "$R2"
mkdir -p "$WORK/gatehouse"
tls_bench_yaml "$R1" "$R2" "$WORK" > "$WORK/gatehouse/bench.yaml"

start() { # jvm flags...: starts Gatehouse on core 0 (GH_PID, GHT)
  GH=$(free_port); GHT=$(free_port); GHS=$(free_port)
  # shellcheck disable=SC2068
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $@ -Dio.netty.leakDetection.level=disabled -jar "$JAR" local \
    --dir "$WORK/gatehouse" "${EXTRA[@]}" --default-certificate-secret default/bench-tls --tls-provider openssl \
    --address 127.0.0.1 --port "$GH" --tls-port "$GHT" --status-port "$GHS" --access-log off > "$WORK/gatehouse.log" 2>&1 &
  GH_PID=$!; PIDS+=($GH_PID)
  for _ in $(seq 1 150); do
    curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$GHT:127.0.0.1" "https://bench.local:$GHT/" >/dev/null 2>&1 && return
    sleep 0.2
  done
  echo "gatehouse did not come up:" >&2; cat "$WORK/gatehouse.log" >&2; exit 1
}
stop() { kill "$GH_PID"; wait "$GH_PID" 2>/dev/null || true; }
hs() { # seconds -> connections completed
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$1"s -H 'Host: bench.local' -H 'Connection: close' "https://127.0.0.1:$GHT/" \
    | awk '/requests in/ {print $1}'
}

echo "# bench/tls-objects.sh --duration $DURATION --connections $CONNECTIONS transport=${GATEHOUSE_TRANSPORT:-default} ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(basename "$JAR"))"

# objects: the chart's flags without its collector and heap sizes; Epsilon needs room for every byte
JVM=$(sed -E 's/-XX:\+Use[A-Za-z]+GC//; s/-XX:MaxRAM=[^ ]*//; s/-XX:MaxRAMPercentage=[^ ]*//; s/-Xm[sxn][^ ]*//g' <<<"$GATEHOUSE_BENCH_JVM")
start "$JVM -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xms4g -Xmx4g -XX:-UseTLAB"
histogram() { jcmd "$GH_PID" GC.class_histogram -all | awk '$1 ~ /^[0-9]+:$/ {print $4, $2, $3}'; }
hs "$WARMUP" >/dev/null
histogram > "$WORK/before"
n=$(hs "$DURATION")
histogram > "$WORK/after"
stop
echo "## objects: $n connections"
# lambdas' class names carry an address that changes from run to run: one row per lambda's owner
awk -v n="$n" '
  { sub(/\$\$Lambda\$[0-9]+\/0x[0-9a-f]+$/, "$$Lambda", $1) }
  NR == FNR { c[$1] += $2; b[$1] += $3; next }
  { ac[$1] += $2; ab[$1] += $3 }
  END { for (k in ab) { db = ab[k] - b[k]; if (db > 0) { total += db; objs += ac[k] - c[k]; printf "%8.2f %8.1f  %s\n", (ac[k] - c[k]) / n, db / n, k } }
        printf "per connection: %.1f objects, %.0f bytes (all classes)\n", objs / n, total / n > "/dev/stderr" }' \
  "$WORK/before" "$WORK/after" 2> "$WORK/total" | sort -k2,2 -n -r > "$WORK/classes"
cat "$WORK/total"
printf "%8s %8s  %s\n" obj/conn B/conn class
sed -n "1,${TOP}p" "$WORK/classes"

# threads: the bench's JVM flags, CPU ticks by thread name around one load
# shellcheck disable=SC2086
start $GATEHOUSE_BENCH_JVM
hs "$WARMUP" >/dev/null
snap() { for t in /proc/"$GH_PID"/task/*; do echo "$(tr ' ' _ < "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"; done \
  | awk '{ a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort; }
snap > "$WORK/t0"; n=$(hs "$DURATION"); snap > "$WORK/t1"
stop
echo "## threads: $n connections, CPU per connection by thread (from /proc; a time: it grows with the machine's load)"
join "$WORK/t0" "$WORK/t1" | awk -v n="$n" -v hz="$(getconf CLK_TCK)" '
  { d = $3 - $2; all += d; if (d > 0) printf "  %-28s %7.1f us\n", $1, d / hz * 1e6 / n }
  END { printf "  %-28s %7.1f us\n", "all threads", all / hz * 1e6 / n }'
