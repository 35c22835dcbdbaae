#!/usr/bin/env bash
# How fast `gatehouse local` serves its first request, and how much memory the proxy holds under load,
# with the chart's JVM flags (helm values proxy.javaOpts) in a 512 MiB container (the chart's memory
# limit, given to the JVM as -XX:MaxRAM so MaxRAMPercentage sizes the heap as in the pod).
#
#   bench/startup.sh [--runs N] [--duration SECONDS] [--connections C] [--no-cds] [--before JAR]
#
# Prints:
#   - start to first request: from the process's start (fork) to the first 200 on the data port,
#     polled every 5 ms (the bench config: two targets, key-auth, four routes' worth of objects);
#     median and min–max over --runs starts, without and with an AppCDS archive of the classes a
#     start loads (trained as the image's is, by bench/cds-train.sh), the variants interleaved; when
#     each phase of a start ended, from its log lines; and the CPU time the process had used by then
#     (all its threads: on a busy machine, steadier than wall time). --before JAR adds the same two
#     variants of another build (a before/after pair, interleaved with this one);
#   - RSS under load: the proxy's resident memory (VmRSS, sampled every 500 ms, and its peak VmHWM)
#     while wrk drives --connections keep-alive connections at `/` for --duration seconds, with the
#     chart's flags (the archive included).
# Single-process figures, not compared to a peer: a busy machine makes them upper bounds (the load
# average is printed with them). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=5; DURATION=30; CONNECTIONS=32; CDS=1; BEFORE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --no-cds) CDS=0; shift;; --before) BEFORE=$(realpath "$2"); shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

# the chart's default proxy.javaOpts (lib.sh; the image's archive path dropped: this script trains its
# own archive the same way, bench/cds-train.sh), and its memory limit
JAVA_OPTS=$CHART_JAVA_OPTS
MEMORY_LIMIT=512m
JAR=$(realpath "$JAR") # the archive is used only with the class path it was trained with
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
  echo java $JAVA_OPTS -XX:MaxRAM=$MEMORY_LIMIT "$@" -jar @JAR@ local --dir "$WORK/config" "${EXTRA[@]}" \
    --address 127.0.0.1 --port "$port" --status-port "$status" --access-log off
}

# time_starts LABEL=JAR::FLAGS ...: RUNS starts of each variant, interleaved (A B A B ...) so that a busy
# machine's drift hits each alike; each timed from fork to the first 200, with the phases of the start
# read from its log lines (their timestamps against the fork's wall clock)
time_starts() {
  python3 - "$RUNS" "$WORK" "$@" <<'PY'
import datetime, os, re, signal, socket, statistics, subprocess, sys, time
runs, work, variants = int(sys.argv[1]), sys.argv[2], [v.split("=", 1) for v in sys.argv[3:]]
jars = {label: v.split("::", 1)[0] for label, v in variants}
variants = [(label, v.split("::", 1)[1]) for label, v in variants]
# the log line that ends each phase of a start, in the order a start passes them
PHASES = [("channel.listening", "JVM start, main, channel server listening"),
          ("local.snapshot", "directory read and translated"),
          ("proxy.waiting", "proxy started (event loops, TLS provider, meters)"),
          ("event=channel.connected controller", "channel client connected"),
          ("proxy.listening", "first snapshot applied, port bound")]
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return c.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
times = {label: [] for label, _ in variants}
cpu = {label: [] for label, _ in variants}
phases = {label: {key: [] for key, _ in PHASES} for label, _ in variants}
for _ in range(runs):
    for label, flags in variants:
        port, status = free(), free()
        argv = os.environ["GATEHOUSE_CMD"].replace("@PORT@", str(port)).replace("@STATUS@", str(status)).replace("@JAR@", jars[label]).split()
        argv[1:1] = flags.split()
        env = dict(os.environ, GATEHOUSE_LOG_LEVEL="INFO")
        log = open(f"{work}/start.log", "w+b")
        wall0, t0 = time.time(), time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log, env=env)
        while not ok(port):
            if p.poll() is not None or time.monotonic() - t0 > 60:
                p.kill()
                sys.exit(f"startup: the proxy did not serve within 60 s (exit {p.poll()}); see {work}/start.log")
            time.sleep(0.005)
        times[label].append(time.monotonic() - t0)
        with open(f"/proc/{p.pid}/stat") as f:  # the CPU the start took, every JVM thread: steadier than wall time on a busy machine
            fields = f.read().rsplit(")", 1)[1].split()
        cpu[label].append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        log.seek(0)
        for line in log.read().decode(errors="replace").splitlines():
            m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z", line)
            for key, _ in PHASES:
                if m and key in line and len(phases[label][key]) < len(times[label]):
                    at = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
                    phases[label][key].append(1000 * (at - wall0))
def cell(v): return f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})" if v else "—"
print(f"start to first 200, ms, median (min–max) of {runs} starts per variant, interleaved:")
print("| phase ends (ms after fork) | " + " | ".join(label for label, _ in variants) + " |")
print("|---|" + "---|" * len(variants))
for key, name in PHASES:
    print(f"| {name} (`{key.split()[0].removeprefix('event=')}`) | " + " | ".join(cell(phases[l][key]) for l, _ in variants) + " |")
print("| **first 200** | " + " | ".join(f"**{cell([t * 1000 for t in times[l]])}**" for l, _ in variants) + " |")
print("| CPU used by then, s | " + " | ".join(f"{statistics.median(cpu[l]):.2f} ({min(cpu[l]):.2f}–{max(cpu[l]):.2f})" for l, _ in variants) + " |")
PY
}

echo "# bench/startup.sh --runs $RUNS --duration $DURATION --connections $CONNECTIONS ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "JVM: $JAVA_OPTS -XX:MaxRAM=$MEMORY_LIMIT ($(java -version 2>&1 | head -1)); jar $JAR"
GATEHOUSE_CMD=$(gatehouse_cmd @PORT@ @STATUS@)
export GATEHOUSE_CMD

VARIANTS=(); ARCHIVE_FLAG=""
for build in ${BEFORE:+before} this; do
  jar=$JAR; [ "$build" = before ] && jar=$BEFORE
  name=""; [ -n "$BEFORE" ] && name="$build, "
  VARIANTS+=("${name}no archive=$jar::")
  if [ "$CDS" = 1 ]; then
    # the archive, trained as the image's is (bench/cds-train.sh)
    TRAIN_JAVA_OPTS="$JAVA_OPTS" bench/cds-train.sh "$jar" "$WORK/$build.jsa"
    echo "AppCDS archive ($build): $(( $(stat -c %s "$WORK/$build.jsa") / 1024 / 1024 )) MiB"
    VARIANTS+=("${name}AppCDS archive=$jar::-XX:SharedArchiveFile=$WORK/$build.jsa")
    ARCHIVE_FLAG="-XX:SharedArchiveFile=$WORK/$build.jsa"
  fi
done
time_starts "${VARIANTS[@]}"

# RSS under load
P=$(free_port); S=$(free_port)
# shellcheck disable=SC2046
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 $(gatehouse_cmd "$P" "$S" $ARCHIVE_FLAG | sed "s|@JAR@|$JAR|") > "$WORK/rss.log" 2>&1 &
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
