#!/usr/bin/env bash
# System calls and context switches per request: Gatehouse, nginx and HAProxy under the same load
# (bench/run.sh's configs: round robin over two nginx replicas, upstream keep-alive, the API-key
# check on /profile; wrk 1 thread, 32 connections). Counts, not times: how many read, write,
# epoll_ctl, ... a gateway makes per request does not depend on how busy the machine is, so this runs
# on a shared machine where an rps comparison would be noise.
#
#   bench/syscalls.sh [--duration SECONDS] [--warmup SECONDS] [--connections C] [--access-log on|off]
#
# For each peer and path: `perf stat -e 'syscalls:sys_enter_*'` on the gateway's process (every
# thread: for nginx the master and its worker, for Gatehouse the whole JVM) while wrk runs, divided
# by the requests wrk completed in that window. Gatehouse's gatehouse-io event loop is also counted
# alone (the `gatehouse io` column), so what the JVM's other threads do (JIT, GC, the access-log
# writer) shows apart. task-clock µs per request is printed too but is a time: it moves with the
# load of the machine, unlike the counts. Needs perf with the syscalls tracepoints (root).
# GATEHOUSE_JAR picks another build (a before/after pair). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=5; WARMUP=20; CONNECTIONS=32; ACCESS_LOG=off
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --access-log) ACCESS_LOG=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
case "$ACCESS_LOG" in on|off) ;; *) echo "--access-log: $ACCESS_LOG (expected: on or off)" >&2; exit 2;; esac
command -v perf >/dev/null || { echo "bench/syscalls.sh needs perf (linux-perf)" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port); NGX=$(free_port); HAP=$(free_port); GH=$(free_port); GHS=$(free_port)
KEY=bench-secret-key
replica "$R1"; replica "$R2"

nginx_gateway gateway "$NGX" "$R1" "$R2" "$KEY"
taskset -c 0 nginx -c "$WORK/gateway/nginx.conf" -p "$WORK/gateway" &
PIDS+=($!)

# HAProxy as in bench/run.sh: one thread, round robin, http-reuse always, the key check on a map
mkdir -p "$WORK/haproxy"
printf '%s bench-consumer\n' "$KEY" > "$WORK/haproxy/keys.map"
cat > "$WORK/haproxy/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend gateway
  bind 127.0.0.1:$HAP
  acl profile path /profile
  acl profile path_beg /profile/
  http-request return status 401 content-type application/json string '{"message":"No API key found in request"}' if profile !{ req.hdr(apikey) -m found }
  http-request set-var(txn.consumer) req.hdr(apikey),map($WORK/haproxy/keys.map) if profile
  http-request return status 401 content-type application/json string '{"message":"Unauthorized"}' if profile !{ var(txn.consumer) -m found }
  http-request set-header X-Consumer-ID %[var(txn.consumer)] if profile
  http-request del-header apikey if profile
  default_backend replicas
backend replicas
  balance roundrobin
  http-reuse always
  server r1 127.0.0.1:$R1
  server r2 127.0.0.1:$R2
CFG
taskset -c 0 haproxy -db -f "$WORK/haproxy/haproxy.cfg" > "$WORK/haproxy/haproxy.log" 2>&1 &
PIDS+=($!)

mkdir -p "$WORK/gatehouse"
bench_yaml "$R1" "$R2" "$KEY" > "$WORK/gatehouse/bench.yaml"
LOG_FLAG=(--access-log off)
[ "$ACCESS_LOG" = on ] && LOG_FLAG=(--access-log "$WORK/access.log")
# shellcheck disable=SC2086
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -Dio.netty.leakDetection.level=disabled \
  -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA[@]}" --address 127.0.0.1 --port "$GH" --status-port "$GHS" \
  "${LOG_FLAG[@]}" > "$WORK/gatehouse.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$GHS/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
for port in "$NGX" "$HAP" "$GH"; do
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$port/profile" -H "apikey: $KEY" | grep -q '"id":"' \
    || { echo "the gateway on port $port does not answer /profile with the key:" >&2; cat "$WORK/gatehouse.log" >&2; exit 1; }
done

# the processes that own a listening port (the launchers above may be wrappers: ask the socket)
owners() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | paste -sd, -; }
declare -A URL TARGET
URL[nginx]="http://127.0.0.1:$NGX"; URL[haproxy]="http://127.0.0.1:$HAP"; URL[gatehouse]="http://127.0.0.1:$GH"
TARGET[nginx]="-p $(owners "$NGX")"; TARGET[haproxy]="-p $(owners "$HAP")"
GH_PID=$(owners "$GH")
TARGET[gatehouse]="-p $GH_PID"
IO_TIDS=$(grep -l '^gatehouse-io' /proc/"$GH_PID"/task/*/comm | cut -d/ -f5 | paste -sd, -)
[ -n "$IO_TIDS" ] || { echo "no gatehouse-io thread in process $GH_PID" >&2; exit 1; }
TARGET[gatehouse io]="-t $IO_TIDS"

wrk_run() { # url duration [header] -> requests completed
  local hargs=(); [ -n "${3:-}" ] && hargs=(-H "$3")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s "${hargs[@]}" "$1" | awk '/requests in/ {print $1}'
}

echo "syscalls: warming up gatehouse for ${WARMUP}s, nginx and haproxy briefly" >&2
wrk_run "${URL[gatehouse]}/" "$WARMUP" >/dev/null
wrk_run "${URL[gatehouse]}/profile" 5 "apikey: $KEY" >/dev/null
wrk_run "${URL[nginx]}/" 2 >/dev/null
wrk_run "${URL[haproxy]}/" 2 >/dev/null

COUNTS="$WORK/counts.tsv"
: > "$COUNTS"
for path in / /profile; do
  header=""; [ "$path" = /profile ] && header="apikey: $KEY"
  for peer in nginx haproxy gatehouse; do
    out="$WORK/perf-${peer}${path//\//_}"
    # perf on the peer (and, for Gatehouse, on its event loop alone) for exactly wrk's window
    # shellcheck disable=SC2086
    perf stat -x, -e 'syscalls:sys_enter_*' -e context-switches,task-clock ${TARGET[$peer]} -o "$out.all" &
    perfs=($!)
    if [ "$peer" = gatehouse ]; then
      # shellcheck disable=SC2086
      perf stat -x, -e 'syscalls:sys_enter_*' -e context-switches,task-clock ${TARGET[gatehouse io]} -o "$out.io" &
      perfs+=($!)
    fi
    sleep 0.5
    requests=$(wrk_run "${URL[$peer]}$path" "$DURATION" "$header")
    kill -INT "${perfs[@]}"; wait "${perfs[@]}" 2>/dev/null || true
    awk -F, -v peer="$peer" -v path="$path" -v n="$requests" \
      '$1 ~ /^[0-9.]+$/ && $1 > 0 { sub("syscalls:sys_enter_", "", $3); printf "%s\t%s\t%s\t%s\t%s\n", peer, path, $3, $1, n }' \
      "$out.all" >> "$COUNTS"
    if [ "$peer" = gatehouse ]; then
      awk -F, -v path="$path" -v n="$requests" \
        '$1 ~ /^[0-9.]+$/ && $1 > 0 { sub("syscalls:sys_enter_", "", $3); printf "gatehouse io\t%s\t%s\t%s\t%s\n", path, $3, $1, n }' \
        "$out.io" >> "$COUNTS"
    fi
    echo "syscalls: $peer $path: $requests requests in ${DURATION}s" >&2
  done
done

python3 - "$COUNTS" "$DURATION" "$CONNECTIONS" "$ACCESS_LOG" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
duration, conns, log = sys.argv[2], sys.argv[3], sys.argv[4]
peers = ["nginx", "haproxy", "gatehouse", "gatehouse io"]
per = collections.defaultdict(dict)      # (peer, path) -> {event: per request}
for peer, path, event, count, n in rows:
    per[(peer, path)][event] = float(count) / max(int(n), 1)
requests = {(p, path): int(n) for p, path, _, _, n in rows}
print(f"# bench/syscalls.sh --duration {duration} --connections {conns} --access-log {log}")
for path in ["/", "/profile"]:
    cols = [p for p in peers if (p, path) in per]
    events = sorted({e for p in cols for e in per[(p, path)] if e not in ("task-clock", "context-switches")},
                    key=lambda e: -max(per[(p, path)].get(e, 0) for p in cols))
    print(f"\n## `{path}`: per request ({', '.join(f'{p} {requests[(p, path)]}' for p in cols)} requests)\n")
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
