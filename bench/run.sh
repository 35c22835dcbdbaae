#!/usr/bin/env bash
# Gatehouse against nginx and HAProxy as equivalent gateways, on the same two replicas, in one run.
#
#   bench/run.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--out FILE] [--p99]
#
# Layout (PERFORMANCE.md): the gateway under test is pinned to core 0; wrk and the two replicas
# (nginx, one worker each) to core 1. Rounds are interleaved (each round loads every peer, then the
# next round again) so drift on a shared machine hits every peer alike, and the peers take turns in a
# balanced order (a Williams design: over N rounds for N peers, 2N for an odd N, each comes right after
# each other one equally often: six rounds for the default's six peers and for --p99's three, ten for five)
# so that what one load leaves behind does not always fall on the same peer. gatehouse-log is
# the same build with the access log on (JSON lines to a file); the page says how many lines it
# wrote for how many requests, and how many it dropped. Each figure is the median of the
# rounds with min–max. "rps per core" divides by the gateway's measured CPU share (utime+stime
# from /proc over the wall time of the run), because the load side can saturate its own core.
# The warm-up ends with two idle spells past Gatehouse's upstream idle timeout, each followed by loads,
# for every peer (lib.sh's warm_after_idle): the rounds measure a proxy in service, not its first idle
# spells and first client closes.
# Latency: p50, p99 and p99.9 (wrk's full histogram, read by a done() script). After the rounds, as many
# rounds run every peer but gatehouse-log at one connection (wrk -c1, same duration): the latency a
# gateway adds is its p50 minus direct's p50 in the same round (PERFORMANCE.md: "added latency over the
# direct replica").
# The same rounds are drawn as docs/benchmarks.svg (bench/plot.py), next to the page.
# Each load is traced (bench/round_trace.py, outside the load's window, from core 1): what ran on the
# gateway's core meanwhile (the serving thread's CPU and run-queue wait, a JVM's compiler and VM threads,
# the other gateways, core 0's time nobody accounts for, the replicas' run-queue wait on core 1); the page
# lists the rounds in which Gatehouse's p99 was 1.2x nginx's or more beside what ran in nginx's round.
# gatehouse runs the default transport (`auto`: io_uring where it runs, else epoll; its log line says
# which); gatehouse-epoll is the same build on --transport epoll, measured in the same rounds (also at
# one connection), so the page pairs the two round by round; GATEHOUSE_EPOLL=0 leaves it out on purpose
# (two fewer measurements per round and path).
# nginx and HAProxy carry Gatehouse's header rules (lib.sh's NGINX_PROXY_HEADERS); GATEHOUSE_BENCH_PEER_HEADERS=0
# runs them without.
# Defaults: 8 rounds of 8 s after a 15 s warm-up (about 35 minutes). One 8 s load's p99 is set by a few dozen
# stalls of a few milliseconds on a shared machine, so single rounds scatter by ±30 %; the page gives each
# gateway's p99 over nginx's round by round (median, min–max, the interval that holds the median with at least
# 90 %, and in how many rounds it was at most nginx's), per path and for both paths together.
# --p99 measures only what issue 13's point 2 is read by, so that a run of many rounds fits in an hour: nginx,
# HAProxy and Gatehouse at C connections, without direct, gatehouse-log, gatehouse-epoll, the one-connection
# rounds and the per-load trace (a round takes about a minute instead of two to four). It writes the page to --out
# only when given (never over docs/benchmarks.md by default) and prints it either way.
# Installs nginx, HAProxy and wrk from Debian's packages when missing. Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=8; DURATION=8; WARMUP=15; CONNECTIONS=32; OUT=""; P99_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --out) OUT=$2; shift 2;; --p99) P99_ONLY=1; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
COMMAND="bench/run.sh --rounds $ROUNDS --duration $DURATION --warmup $WARMUP --connections $CONNECTIONS"
if [ "$P99_ONLY" = 1 ]; then COMMAND+=" --p99"; GATEHOUSE_EPOLL=0; else OUT=${OUT:-$ROOT/docs/benchmarks.md}; fi

# shellcheck source=bench/lib.sh
. bench/lib.sh

# the two replicas, and nginx as the equivalent gateway (lib.sh): round robin over them with upstream
# keep-alive, and the walkthrough's key check on /profile
replicas_and_nginx
HAP=$(free_port); GH=$(free_port); GHS=$(free_port)
GHL=$(free_port); GHLS=$(free_port); GHU=$(free_port); GHUS=$(free_port)

# HAProxy as the equivalent gateway (lib.sh): one thread, round robin, http-reuse always, the key
# check on /profile as an ACL on a map
haproxy_gateway "$HAP" "$R1" "$R2" "$KEY"
taskset -c 0 haproxy -db -f "$WORK/haproxy/haproxy.cfg" > "$WORK/haproxy/haproxy.log" 2>&1 &
HAP_PID=$!; PIDS+=($HAP_PID)

mkdir -p "$WORK/gatehouse"
bench_yaml "$R1" "$R2" "$KEY" > "$WORK/gatehouse/bench.yaml"
GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM \
  -Dio.netty.leakDetection.level=disabled -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA[@]}" \
  --address 127.0.0.1 --port "$GH" --status-port "$GHS" --access-log off > "$WORK/gatehouse.log" 2>&1 &
GH_PID=$!; PIDS+=($GH_PID)
# the same with the access log on, JSON lines to a file (as the chart's default): its cost, and
# whether every request got its line
GHL_PID=""
if [ "$P99_ONLY" = 0 ]; then
  mkdir -p "$WORK/gatehouse-log"
  cp "$WORK/gatehouse/bench.yaml" "$WORK/gatehouse-log/"
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM \
    -Dio.netty.leakDetection.level=disabled -jar "$JAR" local --dir "$WORK/gatehouse-log" "${EXTRA[@]}" \
    --address 127.0.0.1 --port "$GHL" --status-port "$GHLS" --access-log "$WORK/access.log" > "$WORK/gatehouse-log.log" 2>&1 &
  GHL_PID=$!; PIDS+=($GHL_PID)
fi
# the same on epoll: the transport A/B, paired by round
GHU_PID=""
if [ "${GATEHOUSE_EPOLL:-1}" != 0 ]; then
  mkdir -p "$WORK/gatehouse-epoll"
  cp "$WORK/gatehouse/bench.yaml" "$WORK/gatehouse-epoll/"
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM \
    -Dio.netty.leakDetection.level=disabled -jar "$JAR" local --dir "$WORK/gatehouse-epoll" "${EXTRA_OWN_TRANSPORT[@]}" --transport epoll \
    --address 127.0.0.1 --port "$GHU" --status-port "$GHUS" --access-log off > "$WORK/gatehouse-epoll.log" 2>&1 &
  GHU_PID=$!; PIDS+=($GHU_PID)
fi

for i in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$GHS/readyz" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$NGX/" >/dev/null 2>&1 \
    && curl -fs "http://127.0.0.1:$HAP/" >/dev/null 2>&1 \
    && { [ -z "$GHL_PID" ] || curl -fs "http://127.0.0.1:$GHLS/readyz" >/dev/null 2>&1; } && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$GH/profile" -H "apikey: $KEY" >/dev/null || { echo "gatehouse did not come up:"; cat "$WORK/gatehouse.log"; exit 1; }
PEERS=(direct nginx haproxy gatehouse gatehouse-log); PEERS_C1=(direct nginx haproxy gatehouse); PORTS=("$NGX" "$HAP" "$GH" "$GHL")
if [ "$P99_ONLY" = 1 ]; then PEERS=(nginx haproxy gatehouse); PEERS_C1=(); PORTS=("$NGX" "$HAP" "$GH"); fi
if [ -n "$GHU_PID" ]; then
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$GHUS/readyz" >/dev/null 2>&1 && break
    kill -0 "$GHU_PID" 2>/dev/null || break
    sleep 0.2
  done
  if curl -fs "http://127.0.0.1:$GHUS/readyz" >/dev/null 2>&1; then
    PEERS+=(gatehouse-epoll); PEERS_C1+=(gatehouse-epoll); PORTS+=("$GHU")
  else
    echo "bench: gatehouse-epoll left out: $(tail -n 3 "$WORK/gatehouse-epoll.log")" >&2
  fi
fi
# every gateway answers /profile alike: 401 without a key, 401 with a wrong one, the consumer's id with it
for port in "${PORTS[@]}"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/profile")" = 401 ] \
    && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/profile" -H 'apikey: wrong')" = 401 ] \
    && curl -fs "http://127.0.0.1:$port/profile" -H "apikey: $KEY" | grep -q '"id":"' \
    || { echo "the gateway on port $port does not check the key as the others do" >&2; cat "$WORK/haproxy/haproxy.log" >&2; exit 1; }
done

# wrk: prints "rps p50_ms p99_ms errors p99.9_ms"
P999=$(wrk_p999_script)
load() { # url duration [header [connections]]
  if [ -n "${3:-}" ]; then
    taskset -c 1 wrk -t1 -c"${4:-$CONNECTIONS}" -d"$2"s --latency -s "$P999" -H "$3" "$1" | wrk_stats
  else
    taskset -c 1 wrk -t1 -c"${4:-$CONNECTIONS}" -d"$2"s --latency -s "$P999" "$1" | wrk_stats
  fi
}

declare -A URL PID
URL[direct]="http://127.0.0.1:$R1"; URL[nginx]="http://127.0.0.1:$NGX"; URL[haproxy]="http://127.0.0.1:$HAP"
URL[gatehouse]="http://127.0.0.1:$GH"; URL[gatehouse-log]="http://127.0.0.1:$GHL"; URL[gatehouse-epoll]="http://127.0.0.1:$GHU"
PID[nginx]=$NGX_PID; PID[haproxy]=$HAP_PID; PID[gatehouse]=$GH_PID; PID[gatehouse-log]=$GHL_PID; PID[gatehouse-epoll]=$GHU_PID
# the per-round trace (bench/round_trace.py): what each peer's serving thread is, and every gateway process on core 0
declare -A KIND=([direct]=none [nginx]=process [haproxy]=process [gatehouse]=loop [gatehouse-log]=loop [gatehouse-epoll]=loop)
GATEWAY_PIDS=("$NGX_PID" "$HAP_PID" "$GH_PID"); [ -n "$GHL_PID" ] && GATEWAY_PIDS+=("$GHL_PID"); [ -n "$GHU_PID" ] && GATEWAY_PIDS+=("$GHU_PID")

echo "bench: warming up each gatehouse for ${WARMUP}s, nginx and haproxy briefly" >&2
for gh in "${PEERS[@]}"; do
  [[ $gh == gatehouse* ]] || continue
  load "${URL[$gh]}/" "$WARMUP" >/dev/null
  load "${URL[$gh]}/profile" 5 "apikey: $KEY" >/dev/null
  warm_connections "${URL[$gh]}/" 5 "$CONNECTIONS"  # each load opens new connections (lib.sh)
done
load "${URL[nginx]}/" 5 >/dev/null
load "${URL[haproxy]}/" 5 >/dev/null
warm_connections "${URL[nginx]}/" 5 "$CONNECTIONS"
warm_connections "${URL[haproxy]}/" 5 "$CONNECTIONS"
AFTER_IDLE=()
for peer in "${PEERS[@]}"; do [ "$peer" = direct ] || AFTER_IDLE+=("${URL[$peer]}/"); done
echo "bench: twice idle for 40s, then 5s and six 1s loads on each gateway (lib.sh's warm_after_idle)" >&2
warm_after_idle 40 "${AFTER_IDLE[@]}"

RESULTS="$WORK/results.tsv"; RESULTS_C1="$WORK/results-c1.tsv"; TRACE="$WORK/trace.tsv"
: > "$RESULTS"; : > "$RESULTS_C1"; : > "$TRACE"
# The order of the peers in a round, as indexes into N peers: a Williams design. Over N rounds (2N when N is
# odd) each peer comes right after each other peer equally often, so whatever a load leaves behind on the
# machine (a JVM's compilations after its load, the replicas warmed by direct's) falls on every peer alike
# rather than always on the one after it (docs/decisions.md, "The peers take turns in a balanced order").
peer_order() { # round n
  local n=$2 rows=$2 r j v out=()
  (( n % 2 )) && rows=$((2 * n))
  r=$(( ($1 - 1) % rows ))
  for ((j = 0; j < n; j++)); do
    if (( j == 0 )); then v=0; elif (( j % 2 )); then v=$(( (j + 1) / 2 )); else v=$(( n - j / 2 )); fi
    out+=($(( (v + r) % n )))
  done
  if (( r < n )); then
    echo "${out[*]}"
  else # the mirror image of row r - n
    for ((j = n - 1; j >= 0; j--)); do printf '%s ' "${out[j]}"; done
    echo
  fi
}
measure() { # round peer path connections results-file
  local round=$1 peer=$2 path=$3 header="" pid t0 t1 c0 c1 share rps p50 p99 errors p999
  [ "$path" = /profile ] && header="apikey: $KEY"
  [ "$peer" = direct ] && [ "$path" = /profile ] && header="X-Consumer-ID: bench-consumer"
  pid=${PID[$peer]:-}
  [ "$P99_ONLY" = 1 ] || taskset -c 1 python3 bench/round_trace.py snap "$WORK/snap-before.json" "${GATEWAY_PIDS[@]}" -- "${REPLICA_PIDS[@]}"
  t0=$(date +%s.%N); c0=0; [ -n "$pid" ] && c0=$(cpu_ticks "$pid")
  read -r rps p50 p99 errors p999 < <(load "${URL[$peer]}$path" "$DURATION" "$header" "$4")
  t1=$(date +%s.%N); c1=0; [ -n "$pid" ] && c1=$(cpu_ticks "$pid")
  if [ "$P99_ONLY" = 0 ]; then
    taskset -c 1 python3 bench/round_trace.py snap "$WORK/snap-after.json" "${GATEWAY_PIDS[@]}" -- "${REPLICA_PIDS[@]}"
    taskset -c 1 python3 bench/round_trace.py diff "$WORK/snap-before.json" "$WORK/snap-after.json" "${KIND[$peer]}" "${pid:--}" \
      "$round" "$peer" "$path" "$4" >> "$TRACE"
  fi
  share=$(cpu_share "$c0" "$c1" "$t0" "$t1")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$peer" "$path" "$rps" "$p50" "$p99" "$p999" "$errors" "$share" >> "$5"
  echo "round $round c$4 $peer $path: rps=$rps p50=${p50}ms p99=${p99}ms p99.9=${p999}ms errors=$errors cpu=$share" >&2
}
for round in $(seq 1 "$ROUNDS"); do
  for i in $(peer_order "$round" "${#PEERS[@]}"); do
    for path in / /profile; do measure "$round" "${PEERS[$i]}" "$path" "$CONNECTIONS" "$RESULTS"; done
  done
done
# one connection, in rounds of its own after the 32-connection ones: the latency each gateway adds to a
# request when nothing queues. Not between them: a minute of one-connection load before each peer's next
# 32-connection load changed which branches Gatehouse's JIT saw taken, and the 32-connection load then
# started by compiling again (docs/decisions.md, "The p99 at 32 connections: a proxy in service").
for round in $(seq 1 "$ROUNDS"); do
  (( ${#PEERS_C1[@]} )) || break # --p99 has none: no order of zero peers to draw (it divided by zero)
  for i in $(peer_order "$round" "${#PEERS_C1[@]}"); do
    for path in / /profile; do measure "$round" "${PEERS_C1[$i]}" "$path" 1 "$RESULTS_C1"; done
  done
done

# every request gatehouse-log answered (warm-up and checks included) against the lines in its file,
# once its event loops handed their last buffers over (every 200 ms)
LINES=0; ANSWERED=0; DROPPED=0
if [ -n "$GHL_PID" ]; then
  sleep 1
  METRICS=$(curl -fs "http://127.0.0.1:$GHLS/metrics")
  ANSWERED=$(awk '/^gatehouse_requests_total/ {s += $NF} END {printf "%d", s}' <<<"$METRICS")
  DROPPED=$(awk '/^gatehouse_access_log_dropped_total/ {printf "%d", $NF}' <<<"$METRICS")
  LINES=$(wc -l < "$WORK/access.log")
  echo "bench: access log: $LINES lines for $ANSWERED requests, $DROPPED dropped" >&2
fi

GATEHOUSE_BENCH_JVM="$GATEHOUSE_BENCH_JVM" GATEHOUSE_BENCH_PEER_HEADERS="${GATEHOUSE_BENCH_PEER_HEADERS:-1}" python3 - "$RESULTS" "$OUT" "$COMMAND" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$LINES" "$ANSWERED" "${DROPPED:-0}" "$RESULTS_C1" "$TRACE" <<'PY'
import sys, statistics, datetime, platform, subprocess, os, math
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rows_c1 = [l.rstrip("\n").split("\t") for l in open(sys.argv[10]) if l.strip()]
out, command, rounds, duration, conns = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
log_lines, log_requests, log_dropped = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
def cell(vals, fmt):
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))})"
table = {}
for r, peer, path, rps, p50, p99, p999, err, share in rows:
    t = table.setdefault((peer, path), {"rps": [], "p50": [], "p99": [], "p999": [], "err": 0, "rpc": []})
    t["rps"].append(float(rps)); t["p50"].append(float(p50)); t["p99"].append(float(p99)); t["p999"].append(float(p999))
    t["err"] += int(err)
    t["rpc"].append(float(rps) / min(max(float(share), 0.05), 1.0) if peer != "direct" else float(rps))
k = lambda v: f"{v/1000:.1f}k"
m = lambda v: f"{v:.2f}"
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
lines = [
    "# Benchmarks", "",
    "Gatehouse against nginx and HAProxy as equivalent gateways (round robin over the same two replicas,",
    "upstream keep-alive, the walkthrough's API-key check on `/profile`), measured in one run on one machine.", "",
    f"- Made by: `{command}` on {datetime.date.today().isoformat()}, {cpu}, 2 cores, Java {platform.python_version() and subprocess.run(['java','-version'],capture_output=True,text=True).stderr.splitlines()[0]}",
    f"- Gateway pinned to core 0; wrk (1 thread, {conns} connections, HTTP/1.1 keep-alive) and the two nginx replicas pinned to core 1.",
    "- nginx 1 worker with upstream keepalive; HAProxy 1 thread with `http-reuse always`, the key check an ACL on a map; Gatehouse with its metrics, strict gate and key-auth on, the access log off (as the others').",
    ("- nginx and HAProxy add the headers Gatehouse adds (`bench/lib.sh`): X-Request-Id, X-Forwarded-For, -Proto, -Host and -Port and Via to each request, Via, X-Request-Id and the upstream and proxy latencies to each response, and on `/profile` the consumer's username and credential besides its id; so the replicas and wrk, on the load side's core, parse as many header lines from each gateway."
     if os.environ.get("GATEHOUSE_BENCH_PEER_HEADERS", "1") != "0" else
     "- nginx and HAProxy without Gatehouse's header rules (`GATEHOUSE_BENCH_PEER_HEADERS=0`): Gatehouse's requests carry six header lines more than theirs (eight on `/profile`), its responses four more."),
    f"- Gatehouse's JVM flags: `{os.environ.get('GATEHOUSE_BENCH_JVM', '')}` (the chart's proxy javaOpts in its 512 MiB memory limit, one core).",
    f"- {rounds} interleaved rounds of {duration} s per peer and path, the peers in a balanced order (each right after each other one equally often over a full cycle of orders), after a warm-up (load on each path, new client connections and new upstream connections, then twice 40 s idle, 5 s of load and six loads of 1 s: a proxy that has been through idle spells and client closes before, `bench/lib.sh`), at {conns} connections"
    + (", then as many rounds at 1 connection (all but `gatehouse-log`); medians with min–max." if rows_c1 else
       " (`--p99`: nginx, HAProxy and Gatehouse only, no rounds at 1 connection, no per-load trace); medians with min–max."),
    "- *rps per core* = rps ÷ the gateway's CPU share during the run (from /proc utime+stime)."
    + (" `direct` is wrk against one replica: the limit of the load side." if any(r[1] == "direct" for r in rows) else ""),
    "- Absolute numbers on these shared machines are noisy; read the ratios.", "",
    *([f"![rps per gateway core and latency percentiles per peer and path]({os.path.basename(out)[:-3]}.svg)", ""] if out else []),
    "| peer | path | rps | rps per gateway core | p50 ms | p99 ms | p99.9 ms | errors | rps/core vs nginx | vs HAProxy |",
    "|---|---|---|---|---|---|---|---|---|---|",
]
for path in ["/", "/profile"]:
    base = statistics.median(table[("nginx", path)]["rpc"]) if ("nginx", path) in table else None
    hap = statistics.median(table[("haproxy", path)]["rpc"]) if ("haproxy", path) in table else None
    for peer in ["direct", "nginx", "haproxy", "gatehouse", "gatehouse-log", "gatehouse-epoll"]:
        t = table.get((peer, path))
        if not t: continue
        ratio = "—" if peer == "direct" or not base else f"{statistics.median(t['rpc'])/base:.2f}"
        vs_hap = "—" if peer == "direct" or not hap else f"{statistics.median(t['rpc'])/hap:.2f}"
        lines.append(f"| {peer} | `{path}` | {cell(t['rps'], k)} | {'—' if peer=='direct' else cell(t['rpc'], k)} | {cell(t['p50'], m)} | {cell(t['p99'], m)} | {cell(t['p999'], m)} | {t['err']} | {ratio} | {vs_hap} |")
# the same ratio taken within each round (peers measured a minute apart at most), then the median
# of the rounds: drift of the machine between rounds moves both sides of each ratio alike
per_round = {}
for r, peer, path, rps, p50, p99, p999, err, share in rows:
    per_round.setdefault((r, path), {})[peer] = {
        "rpc": float(rps) / min(max(float(share), 0.05), 1.0), "p99": float(p99), "p999": float(p999)}
def round_ratios(peer, path, base, figure="rpc"):
    return [v[peer][figure] / v[base][figure] for (r, p), v in sorted(per_round.items())
            if p == path and peer in v and base in v]
paired = []
for peer in ["gatehouse", "gatehouse-log", "gatehouse-epoll"]:
    for path in ["/", "/profile"]:
        for base in ["nginx", "haproxy"] + (["gatehouse"] if peer == "gatehouse-epoll" else []):
            ratios = round_ratios(peer, path, base)
            if ratios:
                paired.append(f"{peer} `{path}` vs {base} {cell(ratios, m)}")
lines += ["", "Per round (each peer's rps per core over the other's in the same round; median of the rounds, min–max): "
          + "; ".join(paired) + "."]
# issue 13's latency bar, p99 at most nginx's, taken the same way: each round's p99 over nginx's in that
# round, and in how many rounds it was at most nginx's (one load's p99 is set by a few dozen stalls of a
# few milliseconds, so single rounds scatter; the median of paired rounds is the figure to read)
def median_interval(vals, level=0.90):
    # distribution-free: the k-th smallest and k-th largest of n values hold the true median with
    # probability 1 - 2 P(Binomial(n, 1/2) < k); the narrowest such pair that still holds it with `level`
    v, n, k = sorted(vals), len(vals), 1
    below = lambda k: sum(math.comb(n, i) for i in range(k)) / 2 ** n
    while k + 1 <= (n + 1) // 2 and 1 - 2 * below(k + 1) >= level:
        k += 1
    return v[k - 1], v[n - k], 1 - 2 * below(k)
def interval(vals):
    lo, hi, cover = median_interval(vals)
    return f"{cover * 100:.0f} % interval of the median {lo:.2f}–{hi:.2f}"
tails, pooled = [], []
for peer in ["gatehouse", "gatehouse-log", "gatehouse-epoll", "haproxy"]:
    both = []
    for path in ["/", "/profile"]:
        p99s = round_ratios(peer, path, "nginx", "p99")
        both += p99s
        if p99s:
            tails.append(f"{peer} `{path}` p99 {cell(p99s, m)}, {interval(p99s)}, at most nginx's in "
                         f"{sum(1 for x in p99s if x <= 1.0)} of {len(p99s)}, p99.9 {cell(round_ratios(peer, path, 'nginx', 'p999'), m)}")
    if both:
        pooled.append(f"{peer} {statistics.median(both):.2f}, {interval(both)}, at most nginx's in "
                      f"{sum(1 for x in both if x <= 1.0)} of {len(both)}")
lines += ["", "Latency per round (each peer's p99 and p99.9 over nginx's in the same round; median of the rounds, min–max, "
          "and the interval that holds the median of such ratios with the probability given, whatever their distribution; "
          "issue 13's bar is a p99 at most nginx's): " + "; ".join(tails) + ".",
          "", "The p99 ratios of both paths together (one tail, two paths): " + "; ".join(pooled)
          + ". Issue 13's bar holds where the interval ends at 1.00 or under; where it spans 1.00 the run cannot tell the p99 from nginx's."]
def log_ratio(path):
    on, off = table.get(("gatehouse-log", path)), table.get(("gatehouse", path))
    return f"{statistics.median(on['rpc']) / statistics.median(off['rpc']):.2f}" if on and off else "—"
if any(peer == "gatehouse-log" for (peer, path) in table):
    lines += ["", f"`gatehouse-log` is the same build with the access log on (JSON lines to a file): rps per core "
              f"{log_ratio('/')}× the log-off figure on `/`, {log_ratio('/profile')}× on `/profile`; "
              f"{log_lines} lines written for {log_requests} requests it answered (warm-up included), "
              f"{log_dropped} dropped (`gatehouse_access_log_dropped_total`)."]
if any(peer == "gatehouse-epoll" for (peer, path) in table):
    lines += ["", f"`gatehouse-epoll` is the same build on the epoll transport (`--transport epoll`; `gatehouse` runs the "
              f"default, `auto`): rps per core "
              f"{statistics.median(round_ratios('gatehouse-epoll', '/', 'gatehouse') or [0]):.2f}× the default's on `/`, "
              f"{statistics.median(round_ratios('gatehouse-epoll', '/profile', 'gatehouse') or [0]):.2f}× on `/profile` "
              "(paired by round, median)."]
# one connection: each gateway's p50 minus direct's p50 in the same round and path, in µs
direct_p50 = {(r[0], r[2]): float(r[4]) for r in rows_c1 if r[1] == "direct"}
c1 = {}
for r, peer, path, rps, p50, p99, p999, err, share in rows_c1:
    t = c1.setdefault((peer, path), {"p50": [], "p99": [], "p999": [], "added": [], "err": 0})
    t["p50"].append(float(p50)); t["p99"].append(float(p99)); t["p999"].append(float(p999)); t["err"] += int(err)
    if peer != "direct" and (r, path) in direct_p50:
        t["added"].append((float(p50) - direct_p50[(r, path)]) * 1000)
us = lambda v: f"{v:.0f}"
m3 = lambda v: f"{v:.3f}"
if c1:
    lines += ["", "### Added latency at one connection", "",
              "wrk with one connection (`-t1 -c1`), the same duration, in rounds of their own after the 32-connection rounds; "
              "*added* is the gateway's p50 minus `direct`'s p50 in the same round and path (median of the rounds, min–max). "
              "Issue 13's bar: Gatehouse's added latency at most nginx's + 20 µs.", "",
              "| peer | path | p50 ms | p99 ms | p99.9 ms | added p50 µs | added − nginx's added, µs | errors |",
              "|---|---|---|---|---|---|---|---|"]
for path in ["/", "/profile"] if c1 else []:
    ngx = c1.get(("nginx", path))
    for peer in ["direct", "nginx", "haproxy", "gatehouse", "gatehouse-epoll"]:
        t = c1.get((peer, path))
        if not t: continue
        added = "—" if peer == "direct" or not t["added"] else cell(t["added"], us)
        vs = "—" if peer in ("direct", "nginx") or not ngx or not t["added"] or not ngx["added"] \
            else f"{statistics.median(t['added']) - statistics.median(ngx['added']):+.0f}"
        lines.append(f"| {peer} | `{path}` | {cell(t['p50'], m3)} | {cell(t['p99'], m3)} | {cell(t['p999'], m3)} | {added} | {vs} | {t['err']} |")
# what ran on the gateway's core during each 32-connection load (bench/round_trace.py), per peer and path,
# and the rounds in which Gatehouse's p99 was over nginx's by a fifth or more, beside nginx's own
trace = [l.rstrip("\n").split("\t") for l in open(sys.argv[11]) if l.strip()] if len(sys.argv) > 11 else []
TRACE_COLS = ["serving thread CPU", "its run-queue wait", "its time slices /s", "JIT threads", "VM thread",
              "other threads", "other gateways", "core 0 unaccounted", "core 0 softirq", "replicas' CPU",
              "replicas' run-queue wait"]
tr = {}
for t in trace:
    if t[3] == conns:
        tr[(t[0], t[1], t[2])] = [float(v) for v in t[4:]]
if tr:
    lines += ["", "### What ran on the gateway's core", "",
              f"Per second of each {conns}-connection load, in ms (time slices: a count), median of the rounds "
              "(`bench/round_trace.py`, from each thread's `/proc/…/schedstat` and core 0's `/proc/stat`): the serving "
              "thread (Gatehouse's event loop, nginx's worker, HAProxy's thread), the time it waited on the run queue "
              "while runnable, the JVM's compiler threads, its VM thread (collections, safepoints), its other threads, "
              "the other gateway processes (all pinned to core 0), core 0's busy time none of those account for, and "
              "the two replicas' CPU and run-queue wait on core 1, which they share with wrk.", "",
              "| peer | path | " + " | ".join(TRACE_COLS) + " |", "|---|---|" + "---|" * len(TRACE_COLS)]
    for path in ["/", "/profile"]:
        for peer in ["direct", "nginx", "haproxy", "gatehouse", "gatehouse-log", "gatehouse-epoll"]:
            vals = [v for (r, pe, pa), v in tr.items() if pe == peer and pa == path and len(v) >= len(TRACE_COLS)]
            if vals:
                lines.append(f"| {peer} | `{path}` | " + " | ".join(
                    f"{statistics.median(v[i] for v in vals):.{0 if i == 2 else 1}f}" for i in range(len(TRACE_COLS))) + " |")
    p99 = {(r[0], r[1], r[2]): float(r[5]) for r in rows}
    slow = []
    for (r, peer, path), v in sorted(tr.items()):
        base = p99.get((r, "nginx", path))
        if peer == "gatehouse" and base and p99.get((r, peer, path), 0) >= 1.2 * base:
            n = tr.get((r, "nginx", path))
            slow.append(f"round {r} {peer} `{path}` p99 {p99[(r, peer, path)]:.2f} ms against nginx's {base:.2f}: "
                        f"run-queue wait {v[1]:.1f} ms/s (nginx's {n[1]:.1f}), JIT {v[3]:.1f}, VM thread {v[4]:.1f}, "
                        f"other gateways {v[6]:.1f} (nginx's {n[6]:.1f}), core 0 unaccounted {v[7]:.1f} (nginx's {n[7]:.1f}), "
                        f"the replicas' run-queue wait {v[10]:.1f} (nginx's {n[10]:.1f})"
                        if n else f"round {r} {peer} `{path}` p99 {p99[(r, peer, path)]:.2f} ms against nginx's {base:.2f}")
    lines += ["", "Rounds in which Gatehouse's p99 was 1.2× nginx's or more in the same round: "
              + ("; ".join(slow) if slow else "none") + "."]
lines += ["", "Raw rounds (round, peer, path, rps, p50 ms, p99 ms, p99.9 ms, errors, gateway CPU share):", "", "```"]
lines += ["\t".join(r) for r in rows]
lines += ["```", ""]
if rows_c1:
    lines += ["Raw rounds at one connection (same columns):", "", "```"] + ["\t".join(r) for r in rows_c1] + ["```", ""]
if trace:
    lines += ["Raw per-round trace (round, peer, path, connections, then the columns of \"What ran on the gateway's core\"):",
              "", "```"] + ["\t".join(t) for t in trace] + ["```", ""]
# keep the hand-written notes and the sections that bench/tail.sh, bench/loops.sh, bench/tls.sh and bench/jmh.sh write
import re
page = open(out).read() if out and os.path.exists(out) else ""
for name in ["notes", "tail", "loops", "tls", "jmh"]:
    kept = re.search(rf"<!-- {name}:begin.*?<!-- {name}:end -->", page, re.S)
    if kept:
        lines += [kept.group(0), ""]
if out:
    open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
# the plot of the same rounds, next to the page (docs/benchmarks.svg)
C1_ARGS=(); [ -s "$RESULTS_C1" ] && C1_ARGS=(--c1 "$RESULTS_C1")
[ -z "$OUT" ] || python3 bench/plot.py "$RESULTS" "${OUT%.md}.svg" "${C1_ARGS[@]}"
