#!/usr/bin/env bash
# What the access log costs per request, in CPU: two Gatehouse processes of the same build on core 0,
# one with the access log off and one with it on (JSON lines to a file, the chart's default), loaded in
# turn by wrk from core 1 (off, on, off, on ... on `/` and `/profile`, paired in the same minutes), each
# run's CPU read from /proc per thread (bench/threads.py: the schedstat run time of every thread) and
# divided by the requests wrk completed. Printed per run and as medians: CPU µs per request of the
# whole process, of the event loop (gatehouse-io) and of the access log's writer thread
# (gatehouse-access-log), and the log's share of a request (on − off over on). At the end, the lines
# in the file against the requests the log-on process answered, and its dropped counter.
#
#   bench/log_cost.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--base-jar JAR]
#                     [--jfr SECONDS]
#
# --base-jar adds a third process in every round, that build with the access log on (`base`): a
# before/after of the log's cost in the same minutes. --jfr records each log-on process's CPU samples
# (JFR, every millisecond) under a load of that many seconds on each path, and prints the share of
# the event loop's samples that are formatting and handing over lines (RequestRecord.appendJson and
# AccessLog on the stack) and how many samples the writer thread took.
# CPU µs per request is a time: it moves with the machine's load (caches, frequency), so only the
# pairs of one run compare; the load average is printed. GATEHOUSE_JAR and GATEHOUSE_TRANSPORT as for
# every bench script (bench/lib.sh). Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=4; DURATION=10; WARMUP=20; CONNECTIONS=32; BASE_JAR=""; JFR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --base-jar) BASE_JAR=$2; shift 2;; --jfr) JFR=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"
declare -A PORT STATUS PID
PEERS=(off on); [ -n "$BASE_JAR" ] && PEERS+=(base)
for peer in "${PEERS[@]}"; do
  PORT[$peer]=$(free_port); STATUS[$peer]=$(free_port)
  mkdir -p "$WORK/$peer"
  bench_yaml "$R1" "$R2" "$KEY" > "$WORK/$peer/bench.yaml"
  flag=off; [ "$peer" != off ] && flag="$WORK/access-$peer.log"
  jar=$JAR; [ "$peer" = base ] && jar=$BASE_JAR
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
    -jar "$jar" local --dir "$WORK/$peer" "${EXTRA[@]}" --address 127.0.0.1 --port "${PORT[$peer]}" \
    --status-port "${STATUS[$peer]}" --access-log "$flag" > "$WORK/gatehouse-$peer.log" 2>&1 &
  PID[$peer]=$!; PIDS+=($!)
done
for peer in "${PEERS[@]}"; do
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:${STATUS[$peer]}/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:${PORT[$peer]}/profile" -H "apikey: $KEY" >/dev/null \
    || { echo "gatehouse ($peer) did not come up:"; cat "$WORK/gatehouse-$peer.log"; exit 1; }
done

load() { # peer path seconds -> requests on stdout
  local hargs=(); [ "$2" = /profile ] && hargs=(-H "apikey: $KEY")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$3"s "${hargs[@]}" "http://127.0.0.1:${PORT[$1]}$2" | awk '/requests in/ {print $1}'
}

echo "# bench/log_cost.sh --rounds $ROUNDS${BASE_JAR:+ --base-jar $BASE_JAR} --duration $DURATION --connections $CONNECTIONS transport=${GATEHOUSE_TRANSPORT:-default} ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
for peer in "${PEERS[@]}"; do
  for path in / /profile; do load "$peer" "$path" "$WARMUP" >/dev/null; done
done
printf "round\tlog\tpath\trequests\tcpu_us\tio_us\twriter_us\tother_us\n" > "$WORK/runs.tsv"
for round in $(seq 1 "$ROUNDS"); do
  for path in / /profile; do
    for peer in "${PEERS[@]}"; do
      python3 bench/threads.py snapshot "${PID[$peer]}" > "$WORK/before.json"
      requests=$(load "$peer" "$path" "$DURATION")
      python3 bench/threads.py snapshot "${PID[$peer]}" > "$WORK/after.json"
      python3 - "$WORK/before.json" "$WORK/after.json" "$requests" "$round" "$peer" "$path" >> "$WORK/runs.tsv" <<'PY'
import json, sys
before, after = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
n = int(sys.argv[3])
cpu = {"io": 0, "writer": 0, "other": 0}
for tid, (name, run, *_rest) in after.items():
    d = run - before.get(tid, [name, 0])[1]
    # /proc's comm holds 15 characters: "gatehouse-io-2-1" reads "gatehouse-io-2-", the writer "gatehouse-acces"
    key = "io" if name.startswith("gatehouse-io") else "writer" if name.startswith("gatehouse-acces") else "other"
    cpu[key] += d
total = sum(cpu.values())
print("\t".join([sys.argv[4], sys.argv[5], sys.argv[6], str(n)] +
                [f"{v / 1e3 / n:.2f}" for v in (total, cpu["io"], cpu["writer"], cpu["other"])]))
PY
      tail -n 1 "$WORK/runs.tsv"
    done
  done
done

sleep 1 # the loops hand their last buffers over every 200 ms
python3 - "$WORK/runs.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
logs = [l for l in ("off", "on", "base") if any(r["log"] == l for r in rows)]
print("\nmedian CPU µs per request (min–max over the rounds); base: the --base-jar build, log on:")
print("| path | log | whole process | event loop | writer thread | other threads |")
print("|---|---|---|---|---|---|")
med = {}
for path in ("/", "/profile"):
    for log in logs:
        rs = [r for r in rows if r["path"] == path and r["log"] == log]
        cells = []
        for k in ("cpu_us", "io_us", "writer_us", "other_us"):
            v = [float(r[k]) for r in rs]
            med[(path, log, k)] = statistics.median(v)
            cells.append(f"{statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f})")
        print(f"| `{path}` | {log} | " + " | ".join(cells) + " |")
print()
for path in ("/", "/profile"):
    for log in logs[1:]:
        # per round: the pair's difference over the log-on figure
        shares = []
        for rnd in sorted({r["round"] for r in rows}):
            on = [float(r["cpu_us"]) for r in rows if r["path"] == path and r["log"] == log and r["round"] == rnd]
            off = [float(r["cpu_us"]) for r in rows if r["path"] == path and r["log"] == "off" and r["round"] == rnd]
            if on and off:
                shares.append((on[0] - off[0]) / on[0] * 100)
        print(f"{path} {log}: the access log's share of a request's CPU, per pair: median {statistics.median(shares):.1f} % "
              f"(min {min(shares):.1f}, max {max(shares):.1f}); on/off of the medians "
              f"{med[(path, log, 'cpu_us')] / med[(path, 'off', 'cpu_us')]:.3f}")
PY
for peer in "${PEERS[@]}"; do
  [ "$peer" = off ] && continue
  METRICS=$(curl -fs "http://127.0.0.1:${STATUS[$peer]}/metrics")
  ANSWERED=$(awk '/^gatehouse_requests_total/ {s += $NF} END {printf "%d", s}' <<<"$METRICS")
  DROPPED=$(awk '/^gatehouse_access_log_dropped_total/ {printf "%d", $NF}' <<<"$METRICS")
  echo "access log ($peer): $(wc -l < "$WORK/access-$peer.log") lines for $ANSWERED requests answered, $DROPPED dropped"
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$JFR" -gt 0 ]; then
  sed 's|<setting name="period" control="method-sampling-java-interval">[^<]*<|<setting name="period" control="method-sampling-java-interval">1 ms<|' \
    "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$WORK/sample-1ms.jfc"
  for peer in "${PEERS[@]}"; do
    [ "$peer" = off ] && continue
    for path in / /profile; do
      jcmd "${PID[$peer]}" JFR.start name=cpu settings="$WORK/sample-1ms.jfc" >/dev/null
      requests=$(load "$peer" "$path" "$JFR")
      jfr="$WORK/cpu-$peer-${path//\//_}.jfr"
      jcmd "${PID[$peer]}" JFR.stop name=cpu filename="$jfr" >/dev/null
      python3 - "$jfr" "$peer" "$path" "$requests" <<'PY'
import collections, json, subprocess, sys
out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "96", "--events", "jdk.ExecutionSample", sys.argv[1]],
                     capture_output=True, text=True, check=True).stdout
io, writer, log, top = 0, 0, 0, collections.Counter()
for e in json.loads(out)["recording"]["events"]:
    v = e["values"]
    thread = (v.get("sampledThread") or {}).get("javaName") or ""
    frames = (v.get("stackTrace") or {}).get("frames") or []
    if thread.startswith("gatehouse-access-log"):
        writer += 1
    if not thread.startswith("gatehouse-io") or not frames:
        continue
    io += 1
    names = [f'{f["method"]["type"]["name"].rsplit("/", 1)[-1]}.{f["method"]["name"]}' for f in frames]
    if any(n == "RequestRecord.appendJson" or n.startswith("AccessLog") for n in names):
        log += 1
        top[names[0]] += 1
print(f"jfr {sys.argv[2]} {sys.argv[3]}: {sys.argv[4]} requests; event loop samples {io}, formatting/handing over lines "
      f"{log} ({100 * log / max(io, 1):.1f} %); writer thread samples {writer} (Java code only)")
for name, c in top.most_common(8):
    print(f"    {100 * c / max(io, 1):5.2f} %  {name}")
PY
    done
  done
fi
