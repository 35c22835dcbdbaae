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
#   bench/log_cost.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C]
#
# CPU µs per request is a time: it moves with the machine's load (caches, frequency), so only the
# pairs of one run compare; the load average is printed. GATEHOUSE_JAR and GATEHOUSE_TRANSPORT as for
# every bench script (bench/lib.sh). Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=4; DURATION=10; WARMUP=20; CONNECTIONS=32
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"
declare -A PORT STATUS PID
for peer in off on; do
  PORT[$peer]=$(free_port); STATUS[$peer]=$(free_port)
  mkdir -p "$WORK/$peer"
  bench_yaml "$R1" "$R2" "$KEY" > "$WORK/$peer/bench.yaml"
  flag=off; [ "$peer" = on ] && flag="$WORK/access.log"
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
    -jar "$JAR" local --dir "$WORK/$peer" "${EXTRA[@]}" --address 127.0.0.1 --port "${PORT[$peer]}" \
    --status-port "${STATUS[$peer]}" --access-log "$flag" > "$WORK/gatehouse-$peer.log" 2>&1 &
  PID[$peer]=$!; PIDS+=($!)
done
for peer in off on; do
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:${STATUS[$peer]}/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:${PORT[$peer]}/profile" -H "apikey: $KEY" >/dev/null \
    || { echo "gatehouse ($peer) did not come up:"; cat "$WORK/gatehouse-$peer.log"; exit 1; }
done

load() { # peer path seconds -> requests on stdout
  local hargs=(); [ "$2" = /profile ] && hargs=(-H "apikey: $KEY")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$3"s "${hargs[@]}" "http://127.0.0.1:${PORT[$1]}$2" | awk '/requests in/ {print $1}'
}

echo "# bench/log_cost.sh --rounds $ROUNDS --duration $DURATION --connections $CONNECTIONS transport=${GATEHOUSE_TRANSPORT:-default} ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
for peer in off on; do
  for path in / /profile; do load "$peer" "$path" "$WARMUP" >/dev/null; done
done
printf "round\tlog\tpath\trequests\tcpu_us\tio_us\twriter_us\tother_us\n" > "$WORK/runs.tsv"
for round in $(seq 1 "$ROUNDS"); do
  for path in / /profile; do
    for peer in off on; do
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
METRICS=$(curl -fs "http://127.0.0.1:${STATUS[on]}/metrics")
ANSWERED=$(awk '/^gatehouse_requests_total/ {s += $NF} END {printf "%d", s}' <<<"$METRICS")
DROPPED=$(awk '/^gatehouse_access_log_dropped_total/ {printf "%d", $NF}' <<<"$METRICS")
LINES=$(wc -l < "$WORK/access.log")

python3 - "$WORK/runs.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("\nmedian CPU µs per request (min–max over the rounds):")
print("| path | log | whole process | event loop | writer thread | other threads |")
print("|---|---|---|---|---|---|")
med = {}
for path in ("/", "/profile"):
    for log in ("off", "on"):
        rs = [r for r in rows if r["path"] == path and r["log"] == log]
        cells = []
        for k in ("cpu_us", "io_us", "writer_us", "other_us"):
            v = [float(r[k]) for r in rs]
            med[(path, log, k)] = statistics.median(v)
            cells.append(f"{statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f})")
        print(f"| `{path}` | {log} | " + " | ".join(cells) + " |")
print()
for path in ("/", "/profile"):
    # per round: the pair's difference over the log-on figure
    shares = []
    for rnd in sorted({r["round"] for r in rows}):
        on = [float(r["cpu_us"]) for r in rows if r["path"] == path and r["log"] == "on" and r["round"] == rnd]
        off = [float(r["cpu_us"]) for r in rows if r["path"] == path and r["log"] == "off" and r["round"] == rnd]
        if on and off:
            shares.append((on[0] - off[0]) / on[0] * 100)
    print(f"{path}: the access log's share of a request's CPU, per pair: median {statistics.median(shares):.1f} % "
          f"(min {min(shares):.1f}, max {max(shares):.1f}); on/off of the medians "
          f"{med[(path, 'on', 'cpu_us')] / med[(path, 'off', 'cpu_us')]:.3f}")
PY
echo "access log: $LINES lines for $ANSWERED requests answered, $DROPPED dropped; load $(cut -d' ' -f1-3 /proc/loadavg)"
