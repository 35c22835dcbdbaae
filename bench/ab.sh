#!/usr/bin/env bash
# An A/B of Gatehouse settings with bench/run.sh's client and layout: nginx and one Gatehouse per
# setting (JVM flags, Netty's -D properties among them), loaded by wrk at 32 connections on `/` and
# `/profile` in interleaved rounds, each Gatehouse's p50 / p99 / p99.9 and requests per core paired
# with nginx's of the same round. Shorter than run.sh (no HAProxy, no one-connection rounds, no page),
# so a change aimed at one figure can be tried against the same client run.sh reports with.
#
#   bench/ab.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--connections C] [--gap SECONDS]
#               [--jar LABEL=JAR ...] [--java LABEL=JAVA ...] [--out FILE] [SETTING ...]
#
# A SETTING is a label and JVM flags, "label=-XX:+UseSerialGC -Dio.netty.iouring.ringSize=16", or a
# label alone for the chart's flags (lib.sh's GATEHOUSE_BENCH_JVM); without any, one Gatehouse with
# the chart's flags. Each runs GATEHOUSE_JAR's build (lib.sh) unless --jar names another for its
# label: two builds in one run, "--jar before=/tmp/before.jar before after", so a code change is
# paired round by round as a flag is; --java names another java launcher for its label (another JDK,
# "--java jdk25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"). Warm-up as run.sh's: load on each path, new
# connections, then lib.sh's warm_after_idle. Gateways on core 0, wrk and the two replicas on core 1.
# --gap idles that long before each peer's load on `/` (`/profile` follows it at once, as in run.sh):
# with fewer peers than run.sh, a peer's loads are closer together than there (~90 s apart, past
# nginx's and Gatehouse's upstream idle timeouts); a gap puts them as far apart. Prints a markdown
# table (and appends it to --out when given). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
ARGS=("$@")
ROUNDS=4; DURATION=8; WARMUP=15; CONNECTIONS=32; OUT=""; GAP=0; SETTINGS=(); JARS=(); JAVAS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;; --duration) DURATION=$2; shift 2;; --warmup) WARMUP=$2; shift 2;;
    --connections) CONNECTIONS=$2; shift 2;; --out) OUT=$2; shift 2;; --gap) GAP=$2; shift 2;;
    --jar) JARS+=("$2"); shift 2;; --java) JAVAS+=("$2"); shift 2;;
    -*) echo "unknown option $1" >&2; exit 2;;
    *) SETTINGS+=("$1"); shift;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
[ ${#SETTINGS[@]} -gt 0 ] || SETTINGS=("chart=$GATEHOUSE_BENCH_JVM")

declare -A URL PID FLAGS BUILD LAUNCHER LABELS
for setting in "${SETTINGS[@]}"; do LABELS[${setting%%=*}]=1; done
# --jar and --java are checked before anything starts, and each must name a setting's label: one that
# names none would otherwise be ignored without a word
for j in "${JARS[@]}"; do
  [ -f "${j#*=}" ] || { echo "--jar $j: no such file" >&2; exit 2; }
  [ -n "${LABELS[${j%%=*}]:-}" ] || { echo "--jar $j: no setting is labelled ${j%%=*}" >&2; exit 2; }
  BUILD[${j%%=*}]=${j#*=}
done
for j in "${JAVAS[@]}"; do
  [ -x "${j#*=}" ] || { echo "--java $j: no such launcher" >&2; exit 2; }
  [ -n "${LABELS[${j%%=*}]:-}" ] || { echo "--java $j: no setting is labelled ${j%%=*}" >&2; exit 2; }
  LAUNCHER[${j%%=*}]=${j#*=}
done

replicas_and_nginx

PEERS=(nginx)
URL[nginx]="http://127.0.0.1:$NGX"; PID[nginx]=$NGX_PID
for setting in "${SETTINGS[@]}"; do
  if [[ $setting == *=* ]]; then label=${setting%%=*}; FLAGS[$label]=${setting#*=}
  else label=$setting; FLAGS[$label]=$GATEHOUSE_BENCH_JVM; fi
  BUILD[$label]=${BUILD[$label]:-$JAR}
  GH_JAVA=${LAUNCHER[$label]:-java} local_gatehouse "$label" "${BUILD[$label]}" "${FLAGS[$label]}"
  PID[$label]=$GH_PID; URL[$label]=$GH_URL
  PEERS+=("$label")
done

P999=$(wrk_p999_script)
load() { # url duration header
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$2"s --latency -s "$P999" ${3:+-H "$3"} "$1" | wrk_stats
}
echo "bench: warming up each gatehouse for ${WARMUP}s, nginx briefly" >&2
for peer in "${PEERS[@]}"; do
  [ "$peer" = nginx ] && w=5 || w=$WARMUP
  load "${URL[$peer]}/" "$w" >/dev/null
  load "${URL[$peer]}/profile" 5 "apikey: $KEY" >/dev/null
  warm_connections "${URL[$peer]}/" 5 "$CONNECTIONS"
done
AFTER_IDLE=()
for peer in "${PEERS[@]}"; do AFTER_IDLE+=("${URL[$peer]}/"); done
echo "bench: twice idle for 40s, then 5s and six 1s loads on each gateway (lib.sh's warm_after_idle)" >&2
warm_after_idle 40 "${AFTER_IDLE[@]}"

RESULTS="$WORK/results.tsv"; : > "$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for peer in "${PEERS[@]}"; do
    for path in / /profile; do
      header=""; [ "$path" = /profile ] && header="apikey: $KEY"
      [ "$path" = / ] && sleep "$GAP"
      t0=$(date +%s.%N); c0=$(cpu_ticks "${PID[$peer]}")
      read -r rps p50 p99 errors p999 < <(load "${URL[$peer]}$path" "$DURATION" "$header")
      t1=$(date +%s.%N); c1=$(cpu_ticks "${PID[$peer]}")
      share=$(cpu_share "$c0" "$c1" "$t0" "$t1")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$peer" "$path" "$rps" "$p50" "$p99" "$p999" "$errors" "$share" >> "$RESULTS"
      echo "bench: round $round $peer $path: rps=$rps p50=$p50 p99=$p99 p99.9=$p999 errors=$errors cpu=$share" >&2
    done
  done
done

FLAGLIST=()
for peer in "${PEERS[@]}"; do [ "$peer" = nginx ] || FLAGLIST+=("$peer=${FLAGS[$peer]}\` on \`${BUILD[$peer]}"); done
REPORT=$(python3 - "$RESULTS" "bench/ab.sh ${ARGS[*]}" "$(cut -d' ' -f1-3 /proc/loadavg)" "${FLAGLIST[@]}" <<'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
command, load, flags = sys.argv[2], sys.argv[3], sys.argv[4:]
by = {(r[0], r[1], r[2]): r for r in rows}
peers = list(dict.fromkeys(r[1] for r in rows))
rounds = sorted({r[0] for r in rows}, key=int)
def cell(v, f="{:.2f}"):
    return f"{f.format(statistics.median(v))} ({f.format(min(v))}–{f.format(max(v))})"
out = [f"`{command}` (load average at the end: {load})", ""]
out += [f"- `{f.split('=', 1)[0]}`: `{f.split('=', 1)[1]}`" for f in flags] + [""]
out += ["| peer | path | rps per core | p50 ms | p99 ms | p99.9 ms | p99 / nginx's, per round | errors |",
        "|---|---|---|---|---|---|---|---|"]
for peer in peers:
    for path in ("/", "/profile"):
        rs = [by[(r, peer, path)] for r in rounds if (r, peer, path) in by]
        rpc = [float(r[3]) / min(max(float(r[8]), 0.05), 1.0) for r in rs]
        ratio = "" if peer == "nginx" else ", ".join(
            f"{float(by[(r, peer, path)][5]) / float(by[(r, 'nginx', path)][5]):.2f}" for r in rounds)
        out.append(f"| {peer} | `{path}` | {cell(rpc, '{:.0f}')} | {cell([float(r[4]) for r in rs])} | "
                   f"{cell([float(r[5]) for r in rs])} | {cell([float(r[6]) for r in rs])} | {ratio} | "
                   f"{sum(int(r[7]) for r in rs)} |")
print("\n".join(out))
PY
)
echo "$REPORT"
[ -z "$OUT" ] || printf '\n%s\n' "$REPORT" >> "$OUT"
