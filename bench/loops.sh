#!/usr/bin/env bash
# Requests per second per core with one and with two event loops (Gatehouse --io-threads, nginx
# worker_processes), wrk sharing the machine: how the share-nothing design scales with cores.
#
#   bench/loops.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--out FILE]
#
# Layout: with 1 loop the gateway is pinned to core 0, with 2 to cores 0 and 1; wrk (1 thread) and
# the two nginx replicas stay on core 1, so with two loops the gateway's second loop competes with
# the load side for that core, as a gateway does on a busy node. Rounds are interleaved (gatehouse-1,
# gatehouse-2, nginx-1, nginx-2, then again). "rps per core" divides by the gateway's measured CPU
# use (utime+stime from /proc over the wall time, in cores, up to the loops it has), so a gateway
# that got 1.4 cores is compared per core, not per loop. Gatehouse runs with the bench's JVM flags
# but -XX:ActiveProcessorCount set to its loops. Writes the "loops" section of docs/benchmarks.md
# (bench/run.sh keeps it). Not a test: run it on demand, on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=3; DURATION=10; WARMUP=20; CONNECTIONS=32; OUT="$ROOT/docs/benchmarks.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --out) OUT=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
COMMAND="bench/loops.sh --rounds $ROUNDS --duration $DURATION --warmup $WARMUP --connections $CONNECTIONS"

# shellcheck source=bench/lib.sh
. bench/lib.sh
[ "$(nproc)" -ge 2 ] || { echo "bench/loops.sh needs 2 cores (this machine has $(nproc))" >&2; exit 2; }

R1=$(free_port); R2=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"
declare -A URL PID
JVM_ONE=${GATEHOUSE_BENCH_JVM/-XX:ActiveProcessorCount=1/}
for loops in 1 2; do
  cpus=0; [ "$loops" = 2 ] && cpus=0,1
  port=$(free_port); status=$(free_port)
  mkdir -p "$WORK/gatehouse-$loops"
  bench_yaml "$R1" "$R2" "$KEY" > "$WORK/gatehouse-$loops/bench.yaml"
  # shellcheck disable=SC2086
  GATEHOUSE_LOG_LEVEL=WARN taskset -c "$cpus" java $JVM_ONE -XX:ActiveProcessorCount="$loops" \
    -Dio.netty.leakDetection.level=disabled -jar "$JAR" local --dir "$WORK/gatehouse-$loops" "${EXTRA[@]}" \
    --io-threads "$loops" --address 127.0.0.1 --port "$port" --status-port "$status" --access-log off \
    > "$WORK/gatehouse-$loops.log" 2>&1 &
  PID[gatehouse-$loops]=$!; PIDS+=($!); URL[gatehouse-$loops]="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$status/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$port/profile" -H "apikey: $KEY" >/dev/null \
    || { echo "gatehouse ($loops loops) did not come up:"; cat "$WORK/gatehouse-$loops.log"; exit 1; }

  port=$(free_port)
  nginx_gateway "nginx-$loops" "$port" "$R1" "$R2" "$KEY" "$loops"
  taskset -c "$cpus" nginx -c "$WORK/nginx-$loops/nginx.conf" -p "$WORK/nginx-$loops" &
  PID[nginx-$loops]=$!; PIDS+=($!); URL[nginx-$loops]="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
done

P999=$(wrk_p999_script)
load() { # url duration [header]
  local hargs=(); [ -n "${3:-}" ] && hargs=(-H "$3")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s --latency -s "$P999" "${hargs[@]}" "$1" | wrk_stats
}

echo "loops: warming up for ${WARMUP}s each" >&2
for peer in gatehouse-1 gatehouse-2; do
  load "${URL[$peer]}/" "$WARMUP" >/dev/null
  load "${URL[$peer]}/profile" 5 "apikey: $KEY" >/dev/null
done
for peer in nginx-1 nginx-2; do load "${URL[$peer]}/" 5 >/dev/null; done

RESULTS="$WORK/loops.tsv"
: > "$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for peer in gatehouse-1 gatehouse-2 nginx-1 nginx-2; do
    for path in / /profile; do
      header=""; [ "$path" = /profile ] && header="apikey: $KEY"
      pid=${PID[$peer]}
      t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
      read -r rps p50 p99 errors p999 < <(load "${URL[$peer]}$path" "$DURATION" "$header")
      t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
      cores=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN { printf "%.3f", (c1-c0)/hz/(t1-t0) }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$peer" "$path" "$rps" "$p50" "$p99" "$p999" "$errors" "$cores" >> "$RESULTS"
      echo "round $round $peer $path: rps=$rps p99=${p99}ms errors=$errors cores=$cores" >&2
    done
  done
done

python3 - "$RESULTS" "$OUT" "$COMMAND" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY'
import os, re, statistics, sys, datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out, command, rounds, duration, conns = sys.argv[2:7]
t = {}
for _, peer, path, rps, p50, p99, p999, err, cores in rows:
    e = t.setdefault((peer, path), {"rps": [], "cores": [], "rpc": [], "p99": [], "err": 0})
    loops = int(peer.rsplit("-", 1)[1])
    c = min(max(float(cores), 0.05), loops)
    e["rps"].append(float(rps)); e["cores"].append(float(cores)); e["rpc"].append(float(rps) / c)
    e["p99"].append(float(p99)); e["err"] += int(err)
med = statistics.median
k = lambda v: f"{v / 1000:.1f}k"
cell = lambda vs, f: f"{f(med(vs))} ({f(min(vs))}–{f(max(vs))})"
lines = ["<!-- loops:begin (written by bench/loops.sh) -->", "## One and two event loops", "",
         f"- Made by: `{command}` on {datetime.date.today().isoformat()}; {rounds} interleaved rounds of {duration} s, "
         f"wrk 1 thread, {conns} connections; medians with min–max.",
         "- 1 loop: the gateway on core 0. 2 loops: on cores 0 and 1, sharing core 1 with wrk and the replicas.",
         "- *cores used* = the gateway's CPU time ÷ wall time; *rps per core* = rps ÷ cores used.", "",
         "| gateway | loops | path | rps | cores used | rps per core | p99 ms | errors | 2 loops ÷ 1 loop (rps per core) |",
         "|---|---|---|---|---|---|---|---|---|"]
for path in ["/", "/profile"]:
    for name in ["gatehouse", "nginx"]:
        for loops in (1, 2):
            e = t.get((f"{name}-{loops}", path))
            if not e:
                continue
            one = t.get((f"{name}-1", path))
            scale = f"{med(e['rpc']) / med(one['rpc']):.2f}" if loops == 2 and one else "—"
            lines.append(f"| {name} | {loops} | `{path}` | {cell(e['rps'], k)} | {cell(e['cores'], lambda v: f'{v:.2f}')} | "
                         f"{cell(e['rpc'], k)} | {cell(e['p99'], lambda v: f'{v:.2f}')} | {e['err']} | {scale} |")
lines += ["", "Raw rounds (round, gateway-loops, path, rps, p50 ms, p99 ms, p99.9 ms, errors, cores used):", "", "```"]
lines += ["\t".join(r) for r in rows]
lines += ["```", "<!-- loops:end -->"]
section = "\n".join(lines)
page = open(out).read() if os.path.exists(out) else ""
if "<!-- loops:begin" in page:
    page = re.sub(r"<!-- loops:begin.*?<!-- loops:end -->", lambda m: section, page, flags=re.S)
else:
    page = page.rstrip("\n") + "\n\n" + section + "\n"
open(out, "w").write(page)
print(section)
PY
