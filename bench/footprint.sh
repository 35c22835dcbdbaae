#!/usr/bin/env bash
# The proxy's memory on each transport, with the chart's JVM flags in its 512 MiB limit (lib.sh's
# GATEHOUSE_BENCH_JVM): what an idle keep-alive connection holds, and the RSS under load.
#
#   bench/footprint.sh [--transports "epoll io_uring"] [--duration SECONDS] [--idle N] [--rounds R]
#
# For each transport (rounds interleaved: epoll, io_uring, epoll, ...), one `gatehouse local` pinned to
# core 0 with --transport:
#   1. RSS after start (the first 200 served);
#   2. under c32 keep-alive load at / (wrk on core 1, --duration s): VmRSS sampled every 500 ms, and
#      the process's peak (VmHWM);
#   3. with 32, then --idle (default 2000) idle keep-alive connections: each sent one GET / on a new
#      connection, read the answer, and stays open, quiet (a client pool's parked connections). Per
#      step, after 3 s: VmRSS, the heap's live bytes after a full collection (jcmd GC.run, then
#      GC.heap_info), and the direct memory Netty reserved (-Dio.netty.maxDirectMemory=0 makes every
#      Netty direct buffer a JDK one, counted in jvm_buffer_memory_used_bytes{id="direct"} on /metrics).
# Prints a table per round and, from the last two steps, the bytes per idle connection (RSS, live heap,
# direct). RSS and heap figures depend on when the collector last ran; the per-connection live heap and
# direct bytes do not. Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
TRANSPORTS="epoll io_uring"; DURATION=20; IDLE=2000; ROUNDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --transports) TRANSPORTS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --idle) IDLE=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port)
replica "$R1"; replica "$R2"
mkdir -p "$WORK/config"
bench_yaml "$R1" "$R2" bench-secret-key > "$WORK/config/bench.yaml"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$R1/" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$R2/" >/dev/null 2>&1 && break; sleep 0.1; done

# hold.py PORT N: opens N keep-alive connections, one GET / answered on each, prints "ready" and holds
# them (quiet) until killed
cat > "$WORK/hold.py" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += s.recv(4096)
    head, body = answer.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit(f"idle connection {i}: {head[:40]!r}")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(4096)
    held.append(s)
print("ready", flush=True)
time.sleep(3600)
PY

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
# live heap after a full collection, KiB (ParallelGC's heap_info: "PSYoungGen total …K, used …K", "ParOldGen …")
live_heap_kib() {
  jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | awk '/PSYoungGen|ParOldGen/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i+1); sub(/K,?/, "", v); s += v}} END {print s}'
}
direct_kib() {
  curl -fs "http://127.0.0.1:$1/metrics" | awk '/^jvm_buffer_memory_used_bytes\{.*id="direct"/ {printf "%d", $2 / 1024}'
}

echo "# bench/footprint.sh --transports \"$TRANSPORTS\" --duration $DURATION --idle $IDLE --rounds $ROUNDS ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "JVM: $GATEHOUSE_BENCH_JVM -Dio.netty.maxDirectMemory=0 ($(java -version 2>&1 | head -1)); jar $JAR"
echo "| round | transport | RSS after start | RSS under c32 (max sampled / VmHWM) | c32 rps | 32 idle: RSS / live heap / direct | $IDLE idle: RSS / live heap / direct | per idle connection: RSS / live heap / direct |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  for transport in $TRANSPORTS; do
    P=$(free_port); S=$(free_port)
    # shellcheck disable=SC2086
    GATEHOUSE_LOG_LEVEL=INFO taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.maxDirectMemory=0 -jar "$JAR" local \
      --dir "$WORK/config" "${EXTRA[@]}" --transport "$transport" --address 127.0.0.1 --port "$P" --status-port "$S" \
      --access-log off > "$WORK/gatehouse-$transport.log" 2>&1 &
    GH=$!; PIDS+=($GH)
    for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$P/" >/dev/null 2>&1 && break; sleep 0.05; done
    grep -q "event=proxy.transport name=$transport " "$WORK/gatehouse-$transport.log" \
      || { echo "footprint: the proxy does not run $transport:"; grep "event=proxy.transport" "$WORK/gatehouse-$transport.log"; exit 1; }
    START=$(kib "$GH" VmRSS)
    taskset -c 1 wrk -t1 -c32 -d"$DURATION"s "http://127.0.0.1:$P/" > "$WORK/wrk.txt" &
    WRK=$!
    MAX=0
    while kill -0 "$WRK" 2>/dev/null; do
      r=$(kib "$GH" VmRSS); [ "${r:-0}" -gt "$MAX" ] && MAX=$r
      sleep 0.5
    done
    wait "$WRK" || true
    HWM=$(kib "$GH" VmHWM)
    RPS=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/wrk.txt")
    sleep 2 # wrk's connections closed
    declare -A rss heap direct
    for n in 32 "$IDLE"; do
      taskset -c 1 python3 "$WORK/hold.py" "$P" "$n" > "$WORK/hold.out" 2>&1 &
      HOLDER=$!; PIDS+=($HOLDER)
      for _ in $(seq 1 1200); do grep -q ready "$WORK/hold.out" && break; kill -0 "$HOLDER" 2>/dev/null || break; sleep 0.1; done
      grep -q ready "$WORK/hold.out" || { echo "footprint: the idle connections did not open: $(cat "$WORK/hold.out")"; exit 1; }
      sleep 3
      rss[$n]=$(kib "$GH" VmRSS); heap[$n]=$(live_heap_kib "$GH"); direct[$n]=$(direct_kib "$S")
      kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
      sleep 2 # the held connections closed
    done
    per() { echo $(( ($2 - $1) * 1024 / (IDLE - 32) )); }
    echo "| $round | $transport | $((START / 1024)) MiB | $((MAX / 1024)) / $((HWM / 1024)) MiB | $RPS |" \
      "$((rss[32] / 1024)) MiB / $((heap[32] / 1024)) MiB / $((direct[32] / 1024)) MiB |" \
      "$((rss[$IDLE] / 1024)) MiB / $((heap[$IDLE] / 1024)) MiB / $((direct[$IDLE] / 1024)) MiB |" \
      "$(per "${rss[32]}" "${rss[$IDLE]}") B / $(per "${heap[32]}" "${heap[$IDLE]}") B / $(per "${direct[32]}" "${direct[$IDLE]}") B |"
    kill "$GH"; wait "$GH" 2>/dev/null || true
  done
done
