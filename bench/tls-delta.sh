#!/usr/bin/env bash
# What TLS adds to a keep-alive request, on Gatehouse and on nginx side by side (issue 11 point 6):
# each peer serves the same route on a cleartext and a TLS port (same two replicas, same ECDSA P-256
# certificate as bench/tls.sh), under wrk HTTP/1.1 keep-alive (`h1`) and the same over TLS (`https`),
# rounds interleaved (nginx h1, nginx https, gatehouse h1, gatehouse https, then again).
#
#   bench/tls-delta.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C]
#
# Per peer and load: system calls per request of the gateway's process (perf, every thread: nginx's
# worker, the whole JVM) and of its event loop alone (Gatehouse's gatehouse-io threads), and the
# process's CPU time per request (from /proc: a time, so it moves with how busy the machine is; the
# difference https - h1 within one round is what TLS costs that peer per request). Then, on one
# connection each (wrk -c1, strace on the process): writes to the client per response and TLS
# records per response, read from the record headers of what was written (type 23 = application
# data), and the bytes each response took on the wire. Counts do not depend on the load; CPU times
# do, so compare them only within a round. GATEHOUSE_JAR picks the build. Needs perf and strace
# (root). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; DURATION=6; WARMUP=12; CONNECTIONS=32
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
command -v perf >/dev/null && command -v strace >/dev/null || { echo "bench/tls-delta.sh needs perf and strace" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port); NGX=$(free_port); NGXT=$(free_port); GH=$(free_port); GHT=$(free_port); GHS=$(free_port)
tls_bench_certificate "$WORK"
replica "$R1"; replica "$R2"

nginx_tls_gateway "$R1" "$R2" "$WORK" "listen 127.0.0.1:$NGX reuseport; listen 127.0.0.1:$NGXT ssl reuseport;"

mkdir -p "$WORK/gatehouse"
tls_bench_yaml "$R1" "$R2" "$WORK" > "$WORK/gatehouse/bench.yaml"
# shellcheck disable=SC2086
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
  -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA[@]}" --default-certificate-secret default/bench-tls \
  --address 127.0.0.1 --port "$GH" --tls-port "$GHT" --status-port "$GHS" --access-log off > "$WORK/gatehouse.log" 2>&1 &
GH_PID=$!; PIDS+=($GH_PID)
for _ in $(seq 1 150); do
  curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$GHT:127.0.0.1" "https://bench.local:$GHT/" >/dev/null 2>&1 \
    && curl -fsk "https://127.0.0.1:$NGXT/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$GHT:127.0.0.1" "https://bench.local:$GHT/" >/dev/null \
  || { echo "gatehouse did not come up:"; cat "$WORK/gatehouse.log"; exit 1; }
GH_TIDS=$(grep -l '^gatehouse-io' /proc/"$GH_PID"/task/*/comm | cut -d/ -f5 | paste -sd, -)
NGX_WORKER=$(pgrep -P "$NGX_PID" | paste -sd, -)

declare -A URL PROC
URL[nginx-h1]="http://127.0.0.1:$NGX/"; URL[nginx-https]="https://127.0.0.1:$NGXT/"
URL[gatehouse-h1]="http://127.0.0.1:$GH/"; URL[gatehouse-https]="https://127.0.0.1:$GHT/"
PROC[nginx]=$NGX_PID; PROC[gatehouse]=$GH_PID

wrk_requests() { # url seconds connections
  taskset -c 1 wrk -t1 -c"$3" -d"$2"s -H 'Host: bench.local' "$1" | awk '/requests in/ {print $1}'
}
syscalls_per() { # perf-stat-file requests -> "total"
  awk -F, -v n="$2" '$1 ~ /^[0-9.]+$/ && $1 > 0 && $3 ~ /^syscalls:/ { all += $1 } END { printf "%.2f", all / n }' "$1"
}

echo "bench: warming up for ${WARMUP}s per peer and load" >&2
for key in gatehouse-h1 gatehouse-https nginx-h1 nginx-https; do
  wrk_requests "${URL[$key]}" "$WARMUP" "$CONNECTIONS" >/dev/null
done

echo "# bench/tls-delta.sh --rounds $ROUNDS --duration $DURATION --connections $CONNECTIONS ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(basename "$JAR"))"
echo
echo "| round | peer | load | requests | syscalls/request (process) | syscalls/request (event loop) | CPU µs/request (process) |"
echo "|---|---|---|---|---|---|---|"
RESULTS="$WORK/results.tsv"; : > "$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for peer in nginx gatehouse; do
    for load in h1 https; do
      pid=${PROC[$peer]}
      # nginx's worker (the master only waits), the whole JVM
      target=$pid; [ "$peer" = nginx ] && target=$NGX_WORKER
      perf stat -x, -e 'syscalls:sys_enter_*' -p "$target" -o "$WORK/perf-all" &
      P1=$!
      P2=
      if [ "$peer" = gatehouse ]; then
        perf stat -x, -e 'syscalls:sys_enter_*' -t "$GH_TIDS" -o "$WORK/perf-loop" & P2=$!
      fi
      sleep 0.3
      c0=$(cpu_ticks "$pid")
      n=$(wrk_requests "${URL[$peer-$load]}" "$DURATION" "$CONNECTIONS")
      c1=$(cpu_ticks "$pid")
      kill -INT $P1 $P2; wait $P1 $P2 2>/dev/null || true
      all=$(syscalls_per "$WORK/perf-all" "$n")
      loop=-; [ "$peer" = gatehouse ] && loop=$(syscalls_per "$WORK/perf-loop" "$n")
      us=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", c / hz * 1e6 / n }')
      printf '%s\t%s\t%s\t%s\n' "$round" "$peer" "$load" "$us" >> "$RESULTS"
      echo "| $round | $peer | $load | $n | $all | $loop | $us |"
    done
  done
done
echo
awk -F'\t' '{ us[$1 FS $2 FS $3] = $4; peers[$2] = 1; rounds[$1] = 1 }
  END { for (p in peers) { printf "TLS adds per request, %s (https - h1 CPU µs, by round):", p
          for (r = 1; r in rounds; r++) printf " %.1f", us[r FS p FS "https"] - us[r FS p FS "h1"]; print "" } }' "$RESULTS"

# Writes and TLS records per response, one connection, from what strace saw written to the client
# (its one handshake included: a few records over the run's requests).
echo
for peer in nginx gatehouse; do
  # the threads that serve connections: nginx's worker, Gatehouse's event loops
  threads=$NGX_WORKER; [ "$peer" = gatehouse ] && threads=$GH_TIDS
  # shellcheck disable=SC2046
  timeout 6 strace -qq -s 65535 -x -e trace=write,sendto,writev,read,recvfrom $(printf -- '-p %s ' ${threads//,/ }) \
    -o "$WORK/strace-$peer" &
  S=$!
  sleep 1.5
  n=$(wrk_requests "${URL[$peer-https]}" 2 1)
  wait $S 2>/dev/null || true
  python3 - "$WORK/strace-$peer" "$n" "$peer" <<'PY'
import re, sys
path, n, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# the client connection is the fd that read a TLS handshake record (the ClientHello; nginx peeks at
# its first byte first); for every write to it, walk the TLS record headers in what was written
reads, writes = {}, {}
call = re.compile(r'^(?:\d+\s+)?(write|sendto|writev|read|recvfrom)\((\d+), (.*)\) = (-?\d+)')
def payload(args):
    return b"".join(bytes.fromhex(s.replace("\\x", "")) for s in re.findall(r'"((?:\\x[0-9a-f]{2})*)"', args))
for line in open(path):
    m = call.match(line)
    if not m or int(m.group(4)) <= 0:
        continue
    fd, data = m.group(2), payload(m.group(3))
    (reads if m.group(1) in ("read", "recvfrom") else writes).setdefault(fd, []).append(data)
client = [fd for fd, rs in reads.items() if any(r[:2] == b"\x16\x03" for r in rs)]
w = sum(len(writes.get(fd, [])) for fd in client)
records = sizes = 0
for fd in client:
    for data in writes.get(fd, []):
        sizes += len(data)
        i = 0
        while i + 5 <= len(data):
            records += data[i] == 23
            i += 5 + int.from_bytes(data[i + 3:i + 5], "big")
responses = max(n, 1)
print(f"{peer}: one connection, {n} requests: writes to the client per response {w / responses:.2f}, "
      f"TLS records per response {records / responses:.2f}, bytes per response on the wire {sizes / responses:.0f}")
PY
done
