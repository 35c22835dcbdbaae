#!/usr/bin/env bash
# How Gatehouse's io_uring event loop batches its submissions under load: `perf trace -e io_uring_enter`
# on the loop's thread for a few seconds of a wrk load (bench/run.sh's layout: Gatehouse on core 0 with
# the chart's JVM flags, wrk and the two replicas on core 1), then per submission how many entries it
# carried, the time between two submissions (how long a write made early in a batch of completions
# waits before it leaves: Netty's IoUringIoHandler submits once its completion queue is empty) and
# how long the call took (the sends run inline in it). The tracing slows the loop; read the shape, not
# the rate.
#
#   bench/submissions.sh [--trace SECONDS] [--connections C] [--path PATH]
#
# Needs perf with syscall tracing (Debian's linux-perf). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
TRACE=2; CONNECTIONS=32; URLPATH=/
while [ $# -gt 0 ]; do
  case "$1" in
    --trace) TRACE=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;; --path) URLPATH=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
# shellcheck source=bench/lib.sh
. bench/lib.sh
need_perf
replicas_and_nginx
local_gatehouse gatehouse "$JAR" "$GATEHOUSE_BENCH_JVM"
GP=$GH_PID
key_header "$URLPATH"
URL="$GH_URL$URLPATH"
echo "bench: warming up for 20s" >&2
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d20s "${HEADER[@]}" "$URL" >/dev/null
LOOP=$(loop_thread "$GP")
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$((TRACE + 6))"s "${HEADER[@]}" "$URL" > "$WORK/wrk.txt" &
WRK=$!
sleep 3
timeout "$TRACE" perf trace -t "$LOOP" -e io_uring_enter -o "$WORK/trace.txt" 2>/dev/null || true
wait "$WRK"
python3 - "$WORK/trace.txt" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" <<'PY'
import re, statistics, sys
rows = []
for line in open(sys.argv[1]):
    m = re.search(r'^\s*([\d.]+) \(\s*([\d.]+) ms\): io_uring_enter\(to_submit: (\d+)(?:, min_complete: (\d+))?', line)
    if m:
        rows.append((float(m.group(1)), float(m.group(2)), int(m.group(3)), int(m.group(4) or 0)))
if len(rows) < 2:
    sys.exit("bench: no io_uring_enter calls traced (is the transport io_uring?)")
span = (rows[-1][0] - rows[0][0]) / 1000
pct = lambda v, q: sorted(v)[min(len(v) - 1, int(q * len(v)))]
entries = [r[2] for r in rows]
gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:])]
took = [r[1] for r in rows]
print(f"{len(rows)} submissions in {span:.2f} s ({len(rows) / span:.0f} a second; wrk over the whole load: {sys.argv[2]} requests a second)")
print(f"entries per submission: mean {statistics.mean(entries):.1f}, median {statistics.median(entries):.0f}, p90 {pct(entries, .9)}, max {max(entries)}")
print(f"between two submissions: median {statistics.median(gaps):.3f} ms, p90 {pct(gaps, .9):.3f}, p99 {pct(gaps, .99):.3f}")
print(f"the call itself: median {statistics.median(took):.3f} ms, p90 {pct(took, .9):.3f}")
print(f"waiting for a completion: {sum(1 for r in rows if r[3] > 0) / len(rows):.1%} of the calls")
PY
