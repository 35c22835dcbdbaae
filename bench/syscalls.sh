#!/usr/bin/env bash
# System calls and context switches per request: Gatehouse, nginx and HAProxy under the same load
# (bench/run.sh's configs: round robin over two nginx replicas, upstream keep-alive, the API-key
# check on /profile; wrk 1 thread, 32 connections). Counts, not times: how many read, write,
# epoll_ctl, ... a gateway makes per request does not depend on how busy the machine is, so this runs
# on a shared machine where an rps comparison would be noise.
#
#   bench/syscalls.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--access-log on|off]
#                     [--jfr SECONDS]
#
# --rounds 0 skips the counts (with --jfr: only the CPU split).
# For each peer and path: `perf stat -e 'syscalls:sys_enter_*'` on the gateway's process (every
# thread: for nginx the master and its worker, for Gatehouse the whole JVM) while wrk runs, divided
# by the requests wrk completed in that window. Gatehouse's gatehouse-io event loop is also counted
# alone (the `gatehouse io` column), so what the JVM's other threads do (JIT, GC, the access-log
# writer) shows apart. task-clock µs per request is printed too but is a time: it moves with the
# load of the machine, unlike the counts; GATEHOUSE_BASELINE_JAR=<jar> adds a second Gatehouse
# (`gatehouse-base`, `gatehouse-base io`) measured in the same rounds, interleaved, so a before/after
# pair of builds sees the same machine. Each figure is the median over the rounds. Needs perf with the
# syscalls tracepoints (root). GATEHOUSE_JAR picks the build under test. --jfr SECONDS then records
# Gatehouse on `/` for that long with JFR sampling its threads every millisecond (the profile settings
# sample every 10 ms: too few samples for a split) and prints where the event loop's CPU goes
# (bench/cpu_split.py): the system calls above are what the kernel does per request, the split is
# what the event loop's Java code does. GATEHOUSE_URING=1 adds the same build on the io_uring transport
# (`gatehouse-uring`, `gatehouse-uring io`, `--transport io_uring`) in the same rounds: under io_uring the
# reads and writes are submitted in batches through `io_uring_enter`, so the event loop's counts fall to
# a few `io_uring_enter` per loop turn while the kernel does the same socket work inside that call
# (task-clock, a time, shows whether the total went down). --jfr then records it too. Not a test: run
# it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=1; DURATION=5; WARMUP=30; CONNECTIONS=32; ACCESS_LOG=off; JFR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;;
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --access-log) ACCESS_LOG=$2; shift 2;; --jfr) JFR=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
case "$ACCESS_LOG" in on|off) ;; *) echo "--access-log: $ACCESS_LOG (expected: on or off)" >&2; exit 2;; esac
command -v perf >/dev/null || { echo "bench/syscalls.sh needs perf (linux-perf)" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port); NGX=$(free_port); HAP=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"

nginx_gateway gateway "$NGX" "$R1" "$R2" "$KEY"
taskset -c 0 nginx -c "$WORK/gateway/nginx.conf" -p "$WORK/gateway" &
PIDS+=($!)

# HAProxy as in bench/run.sh (lib.sh)
haproxy_gateway "$HAP" "$R1" "$R2" "$KEY"
taskset -c 0 haproxy -db -f "$WORK/haproxy/haproxy.cfg" > "$WORK/haproxy/haproxy.log" 2>&1 &
PIDS+=($!)

gatehouse() { # name jar [flag...]: starts one Gatehouse with the bench's config (its data port in STARTED_PORT)
  local name=$1 jar=$2 status log=(--access-log off)
  shift 2
  STARTED_PORT=$(free_port); status=$(free_port)
  [ "$ACCESS_LOG" = on ] && log=(--access-log "$WORK/$name.access.log")
  mkdir -p "$WORK/$name"
  bench_yaml "$R1" "$R2" "$KEY" > "$WORK/$name/bench.yaml"
  # shellcheck disable=SC2086
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
    -jar "$jar" local --dir "$WORK/$name" "${EXTRA[@]}" "$@" --address 127.0.0.1 --port "$STARTED_PORT" --status-port "$status" \
    "${log[@]}" > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$status/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
}
# the processes that own a listening port (the launchers above may be wrappers: ask the socket)
owners() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | paste -sd, -; }
declare -A URL TARGET
URL[nginx]="http://127.0.0.1:$NGX"; URL[haproxy]="http://127.0.0.1:$HAP"
PEERS=(nginx haproxy gatehouse)
gatehouse gatehouse "$JAR"; URL[gatehouse]="http://127.0.0.1:$STARTED_PORT"
if [ -n "${GATEHOUSE_BASELINE_JAR:-}" ]; then
  gatehouse gatehouse-base "$GATEHOUSE_BASELINE_JAR"; URL[gatehouse-base]="http://127.0.0.1:$STARTED_PORT"
  PEERS+=(gatehouse-base)
fi
if [ "${GATEHOUSE_URING:-0}" = 1 ]; then
  gatehouse gatehouse-uring "$JAR" --transport io_uring; URL[gatehouse-uring]="http://127.0.0.1:$STARTED_PORT"
  PEERS+=(gatehouse-uring)
fi
for peer in "${PEERS[@]}"; do
  port=${URL[$peer]##*:}
  for _ in $(seq 1 50); do curl -fs "${URL[$peer]}/" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "${URL[$peer]}/profile" -H "apikey: $KEY" | grep -q '"id":"' \
    || { echo "$peer on port $port does not answer /profile with the key:" >&2; cat "$WORK/"*.log >&2; exit 1; }
  pid=$(owners "$port")
  TARGET[$peer]="-p $pid"
  if [[ $peer == gatehouse* ]]; then
    tids=$(grep -l '^gatehouse-io' /proc/"$pid"/task/*/comm | cut -d/ -f5 | paste -sd, -)
    [ -n "$tids" ] || { echo "no gatehouse-io thread in $peer (process $pid)" >&2; exit 1; }
    TARGET[$peer io]="-t $tids"
  fi
done

wrk_run() { # url duration [header] -> requests completed
  local hargs=(); [ -n "${3:-}" ] && hargs=(-H "$3")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s "${hargs[@]}" "$1" | awk '/requests in/ {print $1}'
}

echo "syscalls: warming up each gatehouse for ${WARMUP}s, nginx and haproxy briefly" >&2
for peer in "${PEERS[@]}"; do
  if [[ $peer == gatehouse* ]]; then
    wrk_run "${URL[$peer]}/" "$WARMUP" >/dev/null
    wrk_run "${URL[$peer]}/profile" "$((WARMUP / 2))" "apikey: $KEY" >/dev/null
  else
    wrk_run "${URL[$peer]}/" 2 >/dev/null
  fi
done

COUNTS="$WORK/counts.tsv"
: > "$COUNTS"
for round in $(seq 1 "$ROUNDS"); do
  for path in / /profile; do
    header=""; [ "$path" = /profile ] && header="apikey: $KEY"
    for peer in "${PEERS[@]}"; do
      out="$WORK/perf-${peer}${path//\//_}"
      # perf on the peer (and, for Gatehouse, on its event loop alone) for exactly wrk's window
      views=("$peer"); [[ $peer == gatehouse* ]] && views+=("$peer io")
      perfs=()
      for view in "${views[@]}"; do
        # shellcheck disable=SC2086
        perf stat -x, -e 'syscalls:sys_enter_*' -e context-switches,task-clock ${TARGET[$view]} -o "$out.${view// /-}" &
        perfs+=($!)
      done
      sleep 0.5
      requests=$(wrk_run "${URL[$peer]}$path" "$DURATION" "$header")
      kill -INT "${perfs[@]}"; wait "${perfs[@]}" 2>/dev/null || true
      for view in "${views[@]}"; do
        awk -F, -v r="$round" -v view="$view" -v path="$path" -v n="$requests" \
          '$1 ~ /^[0-9.]+$/ && $1 > 0 { sub("syscalls:sys_enter_", "", $3); printf "%s\t%s\t%s\t%s\t%s\t%s\n", r, view, path, $3, $1, n }' \
          "$out.${view// /-}" >> "$COUNTS"
      done
      echo "syscalls: round $round $peer $path: $requests requests in ${DURATION}s" >&2
    done
  done
done

[ "$ROUNDS" -gt 0 ] && python3 - "$COUNTS" "$DURATION" "$CONNECTIONS" "$ACCESS_LOG" "$ROUNDS" <<'PY'
import sys, collections, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
duration, conns, log, rounds = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
peers = ["nginx", "haproxy", "gatehouse", "gatehouse io", "gatehouse-base", "gatehouse-base io", "gatehouse-uring",
         "gatehouse-uring io"]
samples = collections.defaultdict(lambda: collections.defaultdict(dict))  # (peer, path) -> event -> round -> per request
reqs = collections.defaultdict(dict)                                      # (peer, path) -> round -> requests
for r, peer, path, event, count, n in rows:
    samples[(peer, path)][event][r] = float(count) / max(int(n), 1)
    reqs[(peer, path)][r] = int(n)
per = {}
for key, events in samples.items():
    runs = reqs[key].keys()
    # an event a round did not see counts 0 in that round; the figure is the median over the rounds
    per[key] = {e: statistics.median([v.get(r, 0.0) for r in runs]) for e, v in events.items()}
requests = {key: int(statistics.median(v.values())) for key, v in reqs.items()}
print(f"# bench/syscalls.sh --rounds {rounds} --duration {duration} --connections {conns} --access-log {log}")
for path in ["/", "/profile"]:
    cols = [p for p in peers if (p, path) in per]
    events = sorted({e for p in cols for e in per[(p, path)] if e not in ("task-clock", "context-switches")},
                    key=lambda e: -max(per[(p, path)].get(e, 0) for p in cols))
    print(f"\n## `{path}`: per request, median of {rounds} round(s) (requests per round: "
          f"{', '.join(f'{p} {requests[(p, path)]}' for p in cols if not p.endswith(' io'))})\n")
    print("| syscall | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    shown = 0.0
    for e in events:
        vals = [per[(p, path)].get(e, 0.0) for p in cols]
        if max(vals) < 0.01:
            continue
        print(f"| `{e}` | " + " | ".join(f"{v:.2f}" for v in vals) + " |")
    tot = [sum(v for e, v in per[(p, path)].items() if e not in ("task-clock", "context-switches")) for p in cols]
    print("| **all syscalls** | " + " | ".join(f"**{v:.2f}**" for v in tot) + " |")
    print("| context switches | " + " | ".join(f"{per[(p, path)].get('context-switches', 0):.3f}" for p in cols) + " |")
    print("| task-clock µs (a time) | " + " | ".join(f"{per[(p, path)].get('task-clock', 0) * 1000:.1f}" for p in cols) + " |")
PY

if [ "$JFR" -gt 0 ]; then
  # the profile settings with method sampling every millisecond
  sed 's|<setting name="period" control="method-sampling-java-interval">[^<]*<|<setting name="period" control="method-sampling-java-interval">1 ms<|' \
    "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$WORK/sample-1ms.jfc"
  for peer in "${PEERS[@]}"; do
    [[ $peer == gatehouse* ]] || continue
    pid=${TARGET[$peer]#-p }
    jcmd "$pid" JFR.start name=cpu settings="$WORK/sample-1ms.jfc" >/dev/null
    requests=$(wrk_run "${URL[$peer]}/" "$JFR")
    jcmd "$pid" JFR.stop name=cpu filename="$WORK/cpu-$peer.jfr" >/dev/null
    echo
    echo "## Where the event loop's CPU goes on \`/\`, $peer (JFR, 1 ms sampling, $requests requests in ${JFR}s)"
    echo
    echo '```'
    python3 bench/cpu_split.py "$WORK/cpu-$peer.jfr" 40
    echo '```'
  done
fi
