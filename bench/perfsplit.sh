#!/usr/bin/env bash
# Where a gateway's core goes per request, kernel and user space apart, Gatehouse next to nginx:
# bench/run.sh's layout (gateway on core 0, wrk at 32 connections and the two replicas on core 1),
# and in interleaved rounds `perf record -e task-clock` on the gateway's serving thread (Gatehouse's
# `gatehouse-io` event loop, nginx's worker) for the middle seconds of a wrk load. Per load: the
# requests a second, the thread's CPU per request (/proc schedstat over the recorded window) and its
# split by where the samples fell: the kernel (TCP over loopback, io_uring or epoll and the system
# calls), the gateway's own code (Gatehouse's JIT-compiled Java and the JVM; nginx and libc), the
# vDSO (clock reads). Then the top kernel symbols of each and Gatehouse's top Java frames (named
# from the JVM's perf map, `jcmd Compiler.perfmap`; self time, inlined callees counted in their
# compiled caller). What the JVM adds per request and what TCP costs either gateway, so the room
# left to a faster Java path is a number. The shape holds on a busy machine better than rates do.
#
#   bench/perfsplit.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--path PATH] [--top N]
#
# Needs perf (Debian's linux-perf). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; DURATION=10; WARMUP=40; URLPATH=/; TOP=15
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --path) URLPATH=$2; shift 2;; --top) TOP=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
# shellcheck source=bench/lib.sh
. bench/lib.sh
need_perf
replicas_and_nginx
local_gatehouse gatehouse "$JAR" "$GATEHOUSE_BENCH_JVM"
key_header "$URLPATH"
declare -A URL=([nginx]="http://127.0.0.1:$NGX$URLPATH" [gatehouse]="$GH_URL$URLPATH")
PEERS=(nginx gatehouse)

cpu_ns() { awk '{print $1}' "/proc/$1/task/$2/schedstat" 2>/dev/null || awk '{print $1}' "/proc/$2/schedstat"; }

echo "bench: warming up each gateway for ${WARMUP}s on $URLPATH" >&2
for p in "${PEERS[@]}"; do taskset -c 1 wrk -t1 -c32 -d"${WARMUP}"s "${HEADER[@]}" "${URL[$p]}" >/dev/null; done

LOAD=$((DURATION + 4))
for r in $(seq 1 "$ROUNDS"); do
  for p in "${PEERS[@]}"; do
    # the thread that serves: nginx's worker (a process of its own), Gatehouse's first event loop
    if [ "$p" = nginx ]; then pid=$(pgrep -P "$NGX_PID" | head -1); tid=$pid; else pid=$GH_PID; tid=$(loop_thread "$GH_PID"); fi
    taskset -c 1 wrk -t1 -c32 -d"${LOAD}"s "${HEADER[@]}" "${URL[$p]}" > "$WORK/wrk-$p-$r.txt" & wp=$!
    sleep 2
    c0=$(cpu_ns "$pid" "$tid"); t0=$(date +%s.%N)
    perf record -q -e task-clock -t "$tid" -o "$WORK/$p-$r.data" -- sleep "$DURATION" 2>/dev/null
    c1=$(cpu_ns "$pid" "$tid"); t1=$(date +%s.%N)
    wait "$wp"
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$p-$r.txt")
    echo "$r $p $rps $c0 $c1 $t0 $t1" >> "$WORK/loads.txt"
    echo "bench: round $r $p: rps=$rps" >&2
  done
done
jcmd "$GH_PID" Compiler.perfmap >/dev/null 2>&1 || echo "bench: no perf map from jcmd; Java frames stay unnamed" >&2

# Per load: the share of samples by where they fell (kernel, vdso, the gateway's own code).
split() { # data-file -> "kernel vdso own" shares in %
  perf report -i "$1" --sort dso --stdio 2>/dev/null | awk '
    /^#/ || NF == 0 {next}
    {gsub(/%/, "", $1); s = $1 + 0; d = $2
     if (d == "[kernel.kallsyms]") k += s; else if (d == "[vdso]") v += s; else o += s}
    END {printf "%.1f %.1f %.1f\n", k, v, o}'
}
TABLE="| peer | round | rps | loop CPU µs / request | kernel | vDSO (clock reads) | own code (Java + JVM; nginx + libc) |
|---|---|---|---|---|---|---|"
while read -r r p rps c0 c1 t0 t1; do
  read -r k v o < <(split "$WORK/$p-$r.data")
  us=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v rps="$rps" 'BEGIN {printf "%.1f", (c1-c0)/1000/(rps*(t1-t0))}')
  TABLE+=$'\n'"| $p | $r | $rps | $us | $(awk -v u="$us" -v s="$k" 'BEGIN {printf "%.1f µs (%.0f %%)", u*s/100, s}') | $(awk -v u="$us" -v s="$v" 'BEGIN {printf "%.2f µs (%.1f %%)", u*s/100, s}') | $(awk -v u="$us" -v s="$o" 'BEGIN {printf "%.1f µs (%.0f %%)", u*s/100, s}') |"
done < "$WORK/loads.txt"

symbols() { # peer kernel|user -> the top symbols over that peer's loads, share of its samples
  local files=() r
  for r in $(seq 1 "$ROUNDS"); do files+=("$WORK/$1-$r.data"); done
  for f in "${files[@]}"; do perf report -i "$f" --sort sym --stdio 2>/dev/null; done | awk -v want="$2" -v top="$TOP" -v n="${#files[@]}" '
    /^#/ || NF < 3 {next}
    {s = $1; gsub(/%/, "", s); k = ($2 == "[k]"); if ((want == "kernel") != k) next
     $1 = ""; $2 = ""; sub(/^ +/, ""); sum[$0] += s / n}
    END {for (x in sum) printf "%.2f\t%s\n", sum[x], x}' | sort -rn | head -"$TOP" \
    | awk -F'\t' '{printf "- %.2f %% %s\n", $1, substr($2, 1, 140)}' || true # head closes the pipe early
}

REPORT="### \`bench/perfsplit.sh --rounds $ROUNDS --duration $DURATION --warmup $WARMUP --path $URLPATH\` ($(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg))

$TABLE

Top kernel symbols, share of the serving thread's samples (mean over the rounds):

nginx:
$(symbols nginx kernel)

Gatehouse:
$(symbols gatehouse kernel)

Gatehouse's top frames outside the kernel (self time; inlined callees count in their compiled caller):
$(symbols gatehouse user)
"
echo "$REPORT"
