#!/usr/bin/env bash
# How fast `gatehouse local` serves its first request, and how much memory the proxy holds under load,
# with the chart's JVM flags (helm values proxy.javaOpts) in a 512 MiB container (the chart's memory
# limit, given to the JVM as -XX:MaxRAM so MaxRAMPercentage sizes the heap as in the pod).
#
#   bench/startup.sh [--runs N] [--duration SECONDS] [--connections C] [--no-cds]
#
# Prints:
#   - start to first request: from the process's start (fork) to the first 200 on the data port,
#     polled every 5 ms (the bench config: two targets, key-auth, four routes' worth of objects);
#     min / median / max over --runs starts, without and with an AppCDS archive of the classes
#     a start loads (made once by -XX:ArchiveClassesAtExit; JDK 17's dynamic archive), and the CPU
#     time the process had used by then (all its threads: on a busy machine, steadier than wall time);
#   - RSS under load: the proxy's resident memory (VmRSS, sampled every 500 ms, and its peak VmHWM)
#     while wrk drives --connections keep-alive connections at `/` for --duration seconds.
# Single-process figures, not compared to a peer: a busy machine makes them upper bounds (the load
# average is printed with them). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=5; DURATION=30; CONNECTIONS=32; CDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --no-cds) CDS=0; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

# the chart's default proxy.javaOpts, and its memory limit
JAVA_OPTS=$(awk '/^proxy:/ {p=1} p && /^  javaOpts:/ {sub(/^  javaOpts: */, ""); gsub(/"/, ""); print; exit}' helm/gatehouse/values.yaml)
MEMORY_LIMIT=512m
R1=$(free_port); R2=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"
mkdir -p "$WORK/config"
bench_yaml "$R1" "$R2" "$KEY" > "$WORK/config/bench.yaml"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$R1/" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$R2/" >/dev/null 2>&1 && break; sleep 0.1; done

# gatehouse_cmd PORT STATUS_PORT [JVM flags...]: the command line of one proxy
gatehouse_cmd() {
  local port=$1 status=$2; shift 2
  # shellcheck disable=SC2086
  echo java $JAVA_OPTS -XX:MaxRAM=$MEMORY_LIMIT "$@" -jar "$JAR" local --dir "$WORK/config" "${EXTRA[@]}" \
    --address 127.0.0.1 --port "$port" --status-port "$status" --access-log off
}

# time_starts LABEL [JVM flags...]: RUNS starts, each timed from fork to the first 200
time_starts() {
  local label=$1; shift
  python3 - "$label" "$RUNS" "$WORK" "$@" <<'PY'
import os, signal, socket, statistics, subprocess, sys, time
label, runs, work, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return c.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
times, cpu = [], []
for _ in range(runs):
    port, status = free(), free()
    argv = os.environ["GATEHOUSE_CMD"].replace("@PORT@", str(port)).replace("@STATUS@", str(status)).split()
    argv[1:1] = flags
    env = dict(os.environ, GATEHOUSE_LOG_LEVEL="WARN")
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(f"{work}/startup.log", "ab"), env=env)
    while not ok(port):
        if p.poll() is not None or time.monotonic() - t0 > 60:
            p.kill()
            sys.exit(f"startup: the proxy did not serve within 60 s (exit {p.poll()}); see {work}/startup.log")
        time.sleep(0.005)
    times.append(time.monotonic() - t0)
    with open(f"/proc/{p.pid}/stat") as f:  # the CPU the start took, every JVM thread: steadier than wall time on a busy machine
        fields = f.read().rsplit(")", 1)[1].split()
    cpu.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
ms = [t * 1000 for t in times]
print(f"start to first request ({label}): median {statistics.median(ms):.0f} ms (min {min(ms):.0f}, max {max(ms):.0f}, {runs} starts);"
      f" CPU used by then {statistics.median(cpu):.2f} s (min {min(cpu):.2f}, max {max(cpu):.2f})")
PY
}

echo "# bench/startup.sh --runs $RUNS --duration $DURATION --connections $CONNECTIONS ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "JVM: $JAVA_OPTS -XX:MaxRAM=$MEMORY_LIMIT ($(java -version 2>&1 | head -1))"
GATEHOUSE_CMD=$(gatehouse_cmd @PORT@ @STATUS@)
export GATEHOUSE_CMD
time_starts "no CDS archive"

if [ "$CDS" = 1 ]; then
  # the archive: one start that serves a few requests and stops cleanly, dumping the classes it loaded
  P=$(free_port); S=$(free_port)
  # shellcheck disable=SC2046
  GATEHOUSE_LOG_LEVEL=WARN $(gatehouse_cmd "$P" "$S" -XX:ArchiveClassesAtExit="$WORK/gatehouse.jsa") > "$WORK/cds.log" 2>&1 &
  CDS_PID=$!; PIDS+=($CDS_PID)
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$P/" >/dev/null 2>&1 && break; sleep 0.05; done
  for _ in $(seq 1 20); do curl -fs "http://127.0.0.1:$P/profile" -H "apikey: $KEY" >/dev/null; curl -fs "http://127.0.0.1:$S/metrics" >/dev/null; done
  kill -TERM "$CDS_PID"; wait "$CDS_PID" 2>/dev/null || true
  if [ -s "$WORK/gatehouse.jsa" ]; then
    echo "AppCDS archive: $(( $(stat -c %s "$WORK/gatehouse.jsa") / 1024 / 1024 )) MiB"
    time_starts "AppCDS archive" -XX:SharedArchiveFile="$WORK/gatehouse.jsa"
  else
    echo "AppCDS archive: not written (see the JVM's output below)"; tail -5 "$WORK/cds.log"
  fi
fi

# RSS under load
P=$(free_port); S=$(free_port)
# shellcheck disable=SC2046
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 $(gatehouse_cmd "$P" "$S") > "$WORK/rss.log" 2>&1 &
GH_PID=$!; PIDS+=($GH_PID)
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$P/" >/dev/null 2>&1 && break; sleep 0.05; done
rss_kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$GH_PID/status"; }
IDLE=$(rss_kib VmRSS)
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION"s "http://127.0.0.1:$P/" > "$WORK/wrk.txt" &
WRK_PID=$!
MAX=0
while kill -0 "$WRK_PID" 2>/dev/null; do
  r=$(rss_kib VmRSS); [ "${r:-0}" -gt "$MAX" ] && MAX=$r
  sleep 0.5
done
wait "$WRK_PID" || true
HWM=$(rss_kib VmHWM)
RPS=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/wrk.txt")
echo "RSS: $((IDLE / 1024)) MiB idle after start; under c$CONNECTIONS load at / (${RPS} rps, ${DURATION}s): max $((MAX / 1024)) MiB sampled, peak (VmHWM) $((HWM / 1024)) MiB"
