#!/usr/bin/env bash
# The start-of-load tail: latency per time window of a 32-connection load that starts after an idle
# pause, for Gatehouse and nginx side by side (docs/benchmarks.md, "The start-of-load stall").
#
#   bench/tail.sh [--rounds N] [--idle SECONDS] [--duration SECONDS] [--warmup SECONDS]
#                 [--connections C] [--window MILLISECONDS] [--jfr] [--out FILE]
#                 [--ab JAR] [--no-nginx]
#
# bench/run.sh measures `/` first after each peer has been idle for about two minutes, and its p99.9
# there is 2-4x /profile's: a stall at the start of a load. This script shows where in the load
# the tail sits. Same layout as run.sh (lib.sh): gateway pinned to core 0, the load and the two
# nginx replicas to core 1, Gatehouse with the chart's JVM flags. After a warm-up, each round
# idles, then loads each peer in turn (idle, nginx, idle, gatehouse) with h2load over HTTP/1.1
# (one thread, C new connections, one request in flight each), whose --log-file has every
# request's start time and latency; the script prints p50/p99/p99.9/max per window, by start time.
# --jfr records a JFR file of Gatehouse (safepoints, compilations, deoptimisations, GC) and its
# -Xlog:gc*,safepoint log, kept in /tmp/gatehouse-tail.* for reading, and prints what the JIT did
# in each Gatehouse load (deoptimisations with their frames, C2 compilations and their compiler time).
# --ab JAR adds a second Gatehouse, gatehouse-b, from another build (a before/after pair in the same
# minutes; it starts after the first, is warmed up the same, and is loaded after it in each round);
# --no-nginx leaves nginx out of the rounds (then each Gatehouse's idle spell is two idles and the
# other's load). The windows go into docs/benchmarks.md (--out) between "tail" markers that
# bench/run.sh keeps. Not a test: run on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; IDLE=60; DURATION=6; WARMUP=30; CONNECTIONS=32; WINDOW=1000; JFR=0; OUT="$PWD/docs/benchmarks.md"; AB=""; NGINX=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --idle) IDLE=$2; shift 2;; --duration) DURATION=$2; shift 2;;
    --warmup) WARMUP=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;; --window) WINDOW=$2; shift 2;;
    --jfr) JFR=1; shift;; --out) OUT=$2; shift 2;; --ab) AB=$2; shift 2;; --no-nginx) NGINX=0; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
COMMAND="bench/tail.sh --rounds $ROUNDS --idle $IDLE --duration $DURATION --warmup $WARMUP --connections $CONNECTIONS --window $WINDOW"
[ -z "$AB" ] || COMMAND+=" --ab $AB"
[ "$NGINX" = 1 ] || COMMAND+=" --no-nginx"

# shellcheck source=bench/lib.sh
. bench/lib.sh

replicas_and_nginx

DIAG=()
if [ "$JFR" = 1 ]; then
  KEEP=$(mktemp -d /tmp/gatehouse-tail.XXXXXX)
  # the profile settings with every compilation recorded (its default keeps only those over 100 ms)
  JH=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  sed '/"jdk.Compilation"/,/<\/event>/ s/100 ms/0 ms/' "$JH/lib/jfr/profile.jfc" > "$KEEP/tail.jfc"
  echo "bench: JFR and the GC/safepoint log go to $KEEP" >&2
fi
declare -A URL PID
start_gatehouse() { # label jar
  if [ "$JFR" = 1 ]; then
    DIAG=(-Xlog:gc*,safepoint:file="$KEEP/gc-$1.log":time,uptime -XX:StartFlightRecording=name=tail,settings="$KEEP/tail.jfc")
  fi
  local_gatehouse "$1" "$2" "$GATEHOUSE_BENCH_JVM" "${DIAG[@]}"
  PID[$1]=$GH_PID; URL[$1]="$GH_URL/"
}
start_gatehouse gatehouse "$JAR"
GATEHOUSES=(gatehouse)
if [ -n "$AB" ]; then
  start_gatehouse gatehouse-b "$AB"
  GATEHOUSES+=(gatehouse-b)
fi
PEERS=("${GATEHOUSES[@]}")
[ "$NGINX" = 1 ] && PEERS=(nginx "${GATEHOUSES[@]}")

URL[nginx]="http://127.0.0.1:$NGX/"
# the warm-up sends the same requests as the measured loads (h2load's), so the JIT compiled what
# is measured
for gh in "${GATEHOUSES[@]}"; do
  echo "bench: warming up $gh for ${WARMUP}s" >&2
  # in loads of at most 15 s (a long load on a shared machine disturbs the other work on it)
  left=$WARMUP
  while [ "$left" -gt 0 ]; do
    taskset -c 1 h2load --h1 -t1 -c"$CONNECTIONS" -m1 -D "$((left < 15 ? left : 15))" "${URL[$gh]}" >/dev/null
    left=$((left - 15))
  done
  # and its connection set-up and close, as each measured load opens 32 new connections (lib.sh)
  warm_connections "${URL[$gh]}" 5 "$CONNECTIONS"
done
taskset -c 1 h2load --h1 -t1 -c"$CONNECTIONS" -m1 -D 5 "${URL[nginx]}" >/dev/null
warm_connections "${URL[nginx]}" 5 "$CONNECTIONS"

RESULTS="$WORK/windows.tsv"; : > "$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for peer in "${PEERS[@]}"; do
    echo "bench: round $round: idle ${IDLE}s, then $peer" >&2
    sleep "$IDLE"
    log="$WORK/$peer-$round.log"
    [ "$peer" = nginx ] || date +%s.%N >> "$WORK/starts-$peer"
    taskset -c 1 h2load --h1 -t1 -c"$CONNECTIONS" -m1 -D "$DURATION" --log-file="$log" "${URL[$peer]}" > "$WORK/h2load.out" 2>&1 \
      || { cat "$WORK/h2load.out" >&2; exit 1; }
    python3 - "$log" "$WINDOW" "$round" "$peer" >> "$RESULTS" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
window_us, rnd, peer = int(sys.argv[2]) * 1000, sys.argv[3], sys.argv[4]
t0 = min(int(r[0]) for r in rows)
windows = {}
for start, status, latency in ((int(r[0]), r[1], int(r[2])) for r in rows):
    windows.setdefault((start - t0) // window_us, []).append((latency, status))
def pct(vals, p):
    return vals[min(len(vals) - 1, int(len(vals) * p / 100))] / 1000
for w in sorted(windows):
    lat = sorted(v for v, _ in windows[w])
    errors = sum(1 for _, s in windows[w] if not s.startswith("2"))
    print(f"{rnd}\t{peer}\t{w}\t{len(lat)}\t{pct(lat, 50):.2f}\t{pct(lat, 99):.2f}\t{pct(lat, 99.9):.2f}\t{lat[-1] / 1000:.2f}\t{errors}")
PY
  done
done
if [ "$JFR" = 1 ]; then
  # what the JIT did in the first seconds of each Gatehouse load: deoptimisations (a compiled
  # method thrown away) and the compilations that followed, from the recording
  for gh in "${GATEHOUSES[@]}"; do
  jcmd "${PID[$gh]}" JFR.dump name=tail filename="$KEEP/$gh.jfr" >/dev/null
  jfr print --json --events jdk.Deoptimization,jdk.Compilation,jdk.SafepointBegin,jdk.GarbageCollection "$KEEP/$gh.jfr" > "$KEEP/events-$gh.json"
  python3 - "$KEEP/events-$gh.json" "$WORK/starts-$gh" "$gh" "$DURATION" <<'PY'
import json, sys, datetime
events = json.load(open(sys.argv[1]))["recording"]["events"]
starts = [float(l) for l in open(sys.argv[2]) if l.strip()]
label, duration = sys.argv[3], float(sys.argv[4])
def at(e):
    t = e["values"]["startTime"].rstrip("Z")  # nanoseconds: keep microseconds for fromisoformat
    whole, _, frac = t.partition(".")
    return datetime.datetime.fromisoformat(f"{whole}.{(frac + '000000')[:6]}+00:00").timestamp()
def ms(d):  # JFR durations print as ISO-8601 ("PT0.123S")
    return float(d[2:-1]) * 1000 if d and d.startswith("PT") and d.endswith("S") else 0.0
for n, t0 in enumerate(starts, 1):
    first = [e for e in events if 0 <= at(e) - t0 < duration]
    deopts = [e for e in first if e["type"] == "jdk.Deoptimization"]
    c2 = [e for e in first if e["type"] == "jdk.Compilation" and e["values"]["compileLevel"] == 4]
    gcs = [e for e in first if e["type"] == "jdk.GarbageCollection"]
    c2_1 = [e for e in c2 if at(e) - t0 < 1]
    print(f"{label} load {n}, its {duration:.0f} s: {len(deopts)} deoptimisations, {len(c2)} C2 compilations "
          f"({sum(ms(e['values']['duration']) for e in c2):.0f} ms compiling; first second {len(c2_1)}, "
          f"{sum(ms(e['values']['duration']) for e in c2_1):.0f} ms), {len(gcs)} collections "
          f"({sum(ms(e['values']['sumOfPauses']) for e in gcs):.0f} ms paused)")
    for e in deopts:
        v = e["values"]; m = v["method"]
        print(f"  +{(at(e) - t0) * 1000:5.0f} ms deopt {m['type']['name'].split('/')[-1]}.{m['name']} line {v['lineNumber']} {v['reason']} {v['action']}")
    for e in c2:
        v = e["values"]; m = v["method"]
        print(f"  +{(at(e) - t0) * 1000:5.0f} ms C2 {m['type']['name'].split('/')[-1]}.{m['name']} {ms(v['duration']):.0f} ms")
PY
  done
fi
python3 - "$RESULTS" "$OUT" "$COMMAND" "$IDLE" "$WINDOW" "$CONNECTIONS" <<'PY'
import sys, statistics, datetime, os, re
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out, command, idle, window, conns = sys.argv[2:7]
cell = lambda vs: f"{statistics.median(vs):.2f} ({min(vs):.2f}–{max(vs):.2f})"
t = {}
for rnd, peer, w, n, p50, p99, p999, mx, err in rows:
    e = t.setdefault((peer, int(w)), {"n": [], "p50": [], "p99": [], "p999": [], "max": [], "err": 0})
    e["n"].append(int(n)); e["p50"].append(float(p50)); e["p99"].append(float(p99))
    e["p999"].append(float(p999)); e["max"].append(float(mx)); e["err"] += int(err)
lines = ["<!-- tail:begin (written by bench/tail.sh) -->", "### Latency by second after an idle pause", "",
         f"- Made by: `{command}` on {datetime.date.today().isoformat()}: each round idles {idle} s, loads nginx, "
         f"idles {idle} s, loads Gatehouse; h2load over HTTP/1.1, {conns} new connections, one request in flight each, on `/`.",
         f"- A window is {window} ms of request start times from the load's first request; medians of the rounds with min–max.", "",
         "| peer | window | requests | p50 ms | p99 ms | p99.9 ms | max ms | errors |", "|---|---|---|---|---|---|---|---|"]
for peer in ["nginx", "gatehouse", "gatehouse-b"]:
    for (p, w), e in sorted(t.items()):
        if p == peer:
            lines.append(f"| {peer} | {w} | {statistics.median(e['n']):.0f} | {cell(e['p50'])} | {cell(e['p99'])} | "
                         f"{cell(e['p999'])} | {cell(e['max'])} | {e['err']} |")
lines += ["", "Raw windows (round, peer, window, requests, p50 ms, p99 ms, p99.9 ms, max ms, errors):", "", "```"]
lines += ["\t".join(r) for r in rows]
lines += ["```", "<!-- tail:end -->"]
section = "\n".join(lines)
page = open(out).read() if os.path.exists(out) else ""
if "<!-- tail:begin" in page:
    page = re.sub(r"<!-- tail:begin.*?<!-- tail:end -->", lambda m: section, page, flags=re.S)
elif "<!-- notes:end -->" in page:  # right after the hand-written notes, which explain it
    page = page.replace("<!-- notes:end -->", "<!-- notes:end -->\n\n" + section, 1)
else:
    page = page.rstrip("\n") + "\n\n" + section + "\n"
open(out, "w").write(page)
print(section)
PY
