#!/usr/bin/env bash
# Gatehouse's TLS port against nginx's, on the same two replicas and the same certificate, in one run:
#
#   bench/tls.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--out FILE]
#
# Three loads, each on every peer, rounds interleaved (nginx, gatehouse with OpenSSL, gatehouse
# with the JDK's TLS, gatehouse with OpenSSL on io_uring, then again):
#   https   wrk, HTTP/1.1 keep-alive over TLS: requests per second per gateway core;
#   hs      wrk with "Connection: close": every request a new TCP connection and a full TLS
#           handshake (wrk does not resume sessions): handshakes per second per gateway core;
#   h2      h2load, HTTP/2 over TLS (ALPN h2), C connections x 10 concurrent streams.
# Certificate: ECDSA P-256 made by openssl for this run, served by both. Layout as bench/run.sh:
# the gateway pinned to core 0, the load and the replicas to core 1; "per core" divides by the
# gateway's measured CPU share. Writes its table into the TLS section of docs/benchmarks.md
# (between the tls markers), leaving the rest of the page alone. Not a test: run it on demand.
# Transports: gatehouse-openssl and gatehouse-jdk run on epoll (GATEHOUSE_TRANSPORT picks another),
# gatehouse-uring is the OpenSSL build on io_uring (--transport io_uring), so both transports are
# measured in the same rounds whatever `auto` picks, and the page pairs gatehouse-uring with
# gatehouse-openssl round by round as well as with nginx. It is left out, with the reason, where
# io_uring cannot run (as in bench/run.sh), and GATEHOUSE_URING=0 leaves it out on purpose.
# GATEHOUSE_URING_ONESHOT=1 adds gatehouse-uring1: the same on io_uring with one-shot polls
# (-Dio.netty.iouring.pollAddMultishotEnabled=false, Netty's property), so both poll modes are
# measured in the same rounds.
# Rates need a quiet machine; bench/tls-cost.sh counts what TLS and the HTTP/2 front add per request
# (bytes, system calls, CPU split) on any machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=3; DURATION=10; WARMUP=15; CONNECTIONS=32; OUT="$ROOT/docs/benchmarks.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --out) OUT=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
COMMAND="bench/tls.sh --rounds $ROUNDS --duration $DURATION --warmup $WARMUP --connections $CONNECTIONS"

# shellcheck source=bench/lib.sh
. bench/lib.sh

R1=$(free_port); R2=$(free_port); NGX=$(free_port)
GH=$(free_port); GHT=$(free_port); GHS=$(free_port)
GJ=$(free_port); GJT=$(free_port); GJS=$(free_port)
GU=$(free_port); GUT=$(free_port); GUS=$(free_port)
GO=$(free_port); GOT=$(free_port); GOS=$(free_port)
TRANSPORT=${GATEHOUSE_TRANSPORT:-epoll}

# One ECDSA P-256 leaf for bench.local, signed by a CA made here.
tls_bench_certificate "$WORK"

replica "$R1"; replica "$R2"

nginx_tls_gateway "$R1" "$R2" "$WORK" "listen 127.0.0.1:$NGX ssl http2 reuseport; http2_max_concurrent_streams 100;"

mkdir -p "$WORK/gatehouse"
tls_bench_yaml "$R1" "$R2" "$WORK" > "$WORK/gatehouse/bench.yaml"

gatehouse() { # name provider transport port tls-port status-port [jvm flags]
  # -XX:+UsePerfData: the chart turns the JVM's performance counters off; jit_counts reads them (jstat)
  # shellcheck disable=SC2086
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 java $GATEHOUSE_BENCH_JVM -XX:+UsePerfData ${7:-} \
    -Dio.netty.leakDetection.level=disabled -jar "$JAR" local --dir "$WORK/gatehouse" "${EXTRA_OWN_TRANSPORT[@]}" \
    --default-certificate-secret default/bench-tls --tls-provider "$2" --transport "$3" \
    --address 127.0.0.1 --port "$4" --tls-port "$5" --status-port "$6" --access-log off > "$WORK/$1.log" 2>&1 &
  echo $!
}
# $(...) runs gatehouse() in a subshell, whose PIDS+= the exit trap never sees: the parent adds them
GH_PID=$(gatehouse gatehouse-openssl openssl "$TRANSPORT" "$GH" "$GHT" "$GHS"); PIDS+=("$GH_PID")
GJ_PID=$(gatehouse gatehouse-jdk jdk "$TRANSPORT" "$GJ" "$GJT" "$GJS"); PIDS+=("$GJ_PID")
GU_PID=""
if [ "${GATEHOUSE_URING:-1}" != 0 ]; then
  GU_PID=$(gatehouse gatehouse-uring openssl io_uring "$GU" "$GUT" "$GUS"); PIDS+=("$GU_PID")
fi
GO_PID=""
if [ "${GATEHOUSE_URING:-1}" != 0 ] && [ "${GATEHOUSE_URING_ONESHOT:-0}" = 1 ]; then
  GO_PID=$(gatehouse gatehouse-uring1 openssl io_uring "$GO" "$GOT" "$GOS" -Dio.netty.iouring.pollAddMultishotEnabled=false)
  PIDS+=("$GO_PID")
fi

for i in $(seq 1 150); do
  curl -fsk "https://127.0.0.1:$GHT/" -H 'Host: bench.local' >/dev/null 2>&1 \
    && curl -fsk "https://127.0.0.1:$GJT/" -H 'Host: bench.local' >/dev/null 2>&1 \
    && curl -fsk "https://127.0.0.1:$NGX/" >/dev/null 2>&1 && break
  sleep 0.2
done
for p in "$GHT" "$GJT"; do
  curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$p:127.0.0.1" "https://bench.local:$p/" >/dev/null \
    || { echo "gatehouse did not come up on $p:"; cat "$WORK"/gatehouse-*.log; exit 1; }
done
PEERS=(nginx gatehouse-openssl gatehouse-jdk)
uring_peer() { # name pid tls-port: joins PEERS once it answers, else says why it is left out
  [ -n "$2" ] || return 0
  for _ in $(seq 1 100); do
    curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$3:127.0.0.1" "https://bench.local:$3/" >/dev/null 2>&1 && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.2
  done
  if curl -fs --cacert "$WORK/ca.crt" --resolve "bench.local:$3:127.0.0.1" "https://bench.local:$3/" >/dev/null 2>&1; then
    PEERS+=("$1")
  else
    echo "bench: $1 left out: $(grep -m1 -o 'transport io_uring is not available[^"]*' "$WORK/$1.log" \
      || tail -n 3 "$WORK/$1.log")" >&2
  fi
}
uring_peer gatehouse-uring "$GU_PID" "$GUT"
uring_peer gatehouse-uring1 "$GO_PID" "$GOT"

# wrk: prints "rps p50_ms p99_ms errors"
wrk_load() { # url duration [header]
  local args=(-t1 -c"$CONNECTIONS" -d"$2"s --latency -H 'Host: bench.local')
  [ -n "${3:-}" ] && args+=(-H "$3")
  taskset -c 1 wrk "${args[@]}" "$1" | wrk_stats
}
# h2load: prints "rps mean_ms max_ms errors" (h2load reports no percentiles: mean and max request time)
h2_load() { # url duration
  local out
  # bounded: on a machine busy with other work h2load once waited minutes for its warm-up to begin
  out=$(timeout $(($2 + 60)) taskset -c 1 h2load -c"$CONNECTIONS" -m10 -t1 -D"$2" --warm-up-time=1 -H ':authority: bench.local' "$1" 2>&1 || true)
  local rps mean max failed errored
  rps=$(awk '/^finished in/ {gsub(",",""); print $4}' <<<"$out")
  mean=$(awk '/^time for request:/ {print $6}' <<<"$out")
  max=$(awk '/^time for request:/ {print $5}' <<<"$out")
  failed=$(awk '/^requests:/ {gsub(",",""); print $10}' <<<"$out")  # failed includes errored and timed out
  echo "${rps:-0} $(ms "${mean:-0ms}") $(ms "${max:-0ms}") ${failed:-0}"
}

# JIT compilations so far and the compiler's time in seconds (jstat -compiler: Compiled, Time); "0 0" for
# nginx. Read around each load: a round whose load made Gatehouse compile (its first after an idle spell,
# or after another load changed the profiles the compiled code was built on) spends its core on C2.
jit_counts() { # peer pid
  [[ $1 == gatehouse* ]] || { echo "0 0"; return; }
  jstat -compiler "$2" 2>/dev/null | awk 'NR == 2 { print $1, $4; found = 1 } END { if (!found) print "0 0" }'
}

declare -A PORT PID
PORT[nginx]=$NGX; PORT[gatehouse-openssl]=$GHT; PORT[gatehouse-jdk]=$GJT; PORT[gatehouse-uring]=$GUT; PORT[gatehouse-uring1]=$GOT
PID[nginx]=$NGX_PID; PID[gatehouse-openssl]=$GH_PID; PID[gatehouse-jdk]=$GJ_PID; PID[gatehouse-uring]=$GU_PID; PID[gatehouse-uring1]=$GO_PID

echo "bench: warming up for ${WARMUP}s per peer" >&2
for peer in "${PEERS[@]:1}" nginx; do
  wrk_load "https://127.0.0.1:${PORT[$peer]}/" "$WARMUP" >/dev/null
  # the handshake path too: without it round 1 compiled it while measured (docs/benchmarks.md)
  wrk_load "https://127.0.0.1:${PORT[$peer]}/" 5 'Connection: close' >/dev/null
  h2_load "https://127.0.0.1:${PORT[$peer]}/" 3 >/dev/null
done
# The three loads once more, in the rounds' order, after each peer sat idle as it will between rounds:
# the keep-alive path was compiled before the handshake and h2 loads ran, so round 1's keep-alive load
# met code built on its own profile alone and recompiled it while measured (round 1 was Gatehouse's worst
# keep-alive round, at a full core, in each run whose rounds are on the page: docs/benchmarks.md, "A new
# TLS connection on io_uring").
for peer in "${PEERS[@]:1}"; do
  wrk_load "https://127.0.0.1:${PORT[$peer]}/" 3 >/dev/null
  wrk_load "https://127.0.0.1:${PORT[$peer]}/" 3 'Connection: close' >/dev/null
  h2_load "https://127.0.0.1:${PORT[$peer]}/" 3 >/dev/null
done

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for peer in "${PEERS[@]}"; do
    for load in https hs h2; do
      url="https://127.0.0.1:${PORT[$peer]}/"; pid=${PID[$peer]}
      j0=$(jit_counts "$peer" "$pid")
      t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
      case $load in
        https) read -r rps a b errors < <(wrk_load "$url" "$DURATION");;
        hs) read -r rps a b errors < <(wrk_load "$url" "$DURATION" 'Connection: close');;
        h2) read -r rps a b errors < <(h2_load "$url" "$DURATION");;
      esac
      t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
      read -r compiles jit_ms < <(awk -v a="$j0" -v b="$(jit_counts "$peer" "$pid")" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%d %.0f\n", y[1] - x[1], (y[2] - x[2]) * 1000 }')
      share=$(cpu_share "$c0" "$c1" "$t0" "$t1")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$peer" "$load" "$rps" "$a" "$b" "$errors" "$share" "$compiles" "$jit_ms" >> "$RESULTS"
      echo "round $round $peer $load: rps=$rps lat=${a}/${b}ms errors=$errors cpu=$share jit=$compiles/${jit_ms}ms" >&2
    done
  done
done

python3 - "$RESULTS" "$OUT" "$COMMAND" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$GATEHOUSE_BENCH_JVM" "$TRANSPORT" "$(uptime)" <<'PY'
import sys, statistics, datetime, os, re
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out, command, rounds, duration, conns, jvm, transport, load_at_start = sys.argv[2:10]
table = {}
for r, peer, load, rps, a, b, err, share, *_ in rows:
    t = table.setdefault((peer, load), {"rps": [], "a": [], "b": [], "err": 0, "rpc": []})
    t["rps"].append(float(rps)); t["a"].append(float(a)); t["b"].append(float(b)); t["err"] += int(err)
    t["rpc"].append(float(rps) / min(max(float(share), 0.05), 1.0))
PEERS = ["nginx", "gatehouse-openssl", "gatehouse-jdk", "gatehouse-uring", "gatehouse-uring1"]
cell = lambda v, f: f"{f(statistics.median(v))} ({f(min(v))}–{f(max(v))})"
k = lambda v: f"{v/1000:.1f}k"
m = lambda v: f"{v:.2f}"
names = {"https": "HTTPS keep-alive (wrk, HTTP/1.1)", "hs": "new TLS handshake per request (wrk, Connection: close)",
         "h2": "HTTP/2 over TLS (h2load, 10 streams per connection)"}
lat = {"https": "p50 / p99 ms", "hs": "p50 / p99 ms", "h2": "mean / max ms"}
lines = ["<!-- tls:begin (written by bench/tls.sh) -->", "## TLS and HTTP/2", "",
         f"- Made by: `{command}` on {datetime.date.today().isoformat()}; certificate ECDSA P-256, TLS 1.3 negotiated by both.",
         f"- Gateway pinned to core 0; wrk / h2load (1 thread, {conns} connections) and the replicas on core 1; {rounds} interleaved rounds of {duration} s; medians with min–max.",
         "- *per core* = rate ÷ the gateway's CPU share during the run. `gatehouse-openssl` is the default provider (BoringSSL via netty-tcnative); `gatehouse-jdk` is `--tls-provider jdk`; "
         f"both run on `--transport {transport}`; `gatehouse-uring` is `gatehouse-openssl` on `--transport io_uring`"
         + ("; `gatehouse-uring1` is `gatehouse-uring` with one-shot polls (`-Dio.netty.iouring.pollAddMultishotEnabled=false`)."
            if any(r[1] == "gatehouse-uring1" for r in rows) else "."),
         f"- Load at the end of the run (`uptime`): {load_at_start.strip()}.",
         f"- Gatehouse's JVM flags: `{jvm}` (the chart's proxy javaOpts, as bench/run.sh).", ""]
for load in ["https", "hs", "h2"]:
    lines += [f"### {names[load]}", "", f"| peer | rate/s | per gateway core | {lat[load]} | errors | per core vs nginx |", "|---|---|---|---|---|---|"]
    base = statistics.median(table[("nginx", load)]["rpc"]) if ("nginx", load) in table else None
    for peer in PEERS:
        t = table.get((peer, load))
        if not t: continue
        ratio = f"{statistics.median(t['rpc'])/base:.2f}" if base else "—"
        lines.append(f"| {peer} | {cell(t['rps'], k)} | {cell(t['rpc'], k)} | {m(statistics.median(t['a']))} / {m(statistics.median(t['b']))} | {t['err']} | {ratio} |")
    lines.append("")
    # Paired by round: each round's rate per core over nginx's in the same round, as bench/run.sh.
    share = {(r, p): float(s) for r, p, l, _, _, _, _, s, *_ in rows if l == load}
    rpc = {(r, p): float(x) / min(max(float(s), 0.05), 1.0) for r, p, l, x, _, _, _, s, *_ in rows if l == load}
    paired = []
    for peer, base in [("gatehouse-openssl", "nginx"), ("gatehouse-jdk", "nginx"), ("gatehouse-uring", "nginx"),
                       ("gatehouse-uring1", "nginx"), ("gatehouse-uring", "gatehouse-openssl"),
                       ("gatehouse-uring1", "gatehouse-uring")]:
        v = [rpc[(r, peer)] / rpc[(r, base)] for (r, p) in rpc if p == peer and (r, base) in rpc]
        if v:
            over = "" if base == "nginx" else f" over {base}"
            paired.append(f"{peer}{over} {statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f}; by round {', '.join(f'{x:.2f}' for x in v)})")
    # the inverse of the rate per core: CPU per request (per connection under hs), the figure that holds
    # when the load side, not the gateway, sets the rate
    us = [f"{peer} {1e6 / statistics.median(table[(peer, load)]['rpc']):.{0 if load == 'hs' else 1}f}" for peer in PEERS
          if (peer, load) in table]
    lines += [f"The gateway's CPU per {'new connection' if load == 'hs' else 'request'} (its whole process, µs, median "
              f"of the rounds; a time: it grows with how busy the machine is): {', '.join(us)}.", ""]
    ns = [v for (r, p), v in share.items() if p == "nginx"]
    if paired:
        lines += [f"Per core over nginx's, paired by round (median, min–max): {'; '.join(paired)}. "
                  f"nginx's CPU share: {cell(ns, m)} (below 1: the load side, not nginx, set its rate).", ""]
lines += ["Raw rounds (round, peer, load, rate, latency a, latency b, errors, gateway CPU share, JIT compilations during "
          "the load, the compiler's ms during it):", "", "```"]
lines += ["\t".join(r) for r in rows] + ["```", "<!-- tls:end -->"]
block = "\n".join(lines)
page = open(out).read() if os.path.exists(out) else "# Benchmarks\n"
if "<!-- tls:begin" in page:
    page = re.sub(r"<!-- tls:begin.*?<!-- tls:end -->", lambda _: block, page, flags=re.S)
else:
    page = page.rstrip("\n") + "\n\n" + block + "\n"
open(out, "w").write(page)
print(block)
PY
