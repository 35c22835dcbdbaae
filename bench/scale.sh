#!/usr/bin/env bash
# The config-plane scale benchmark (issue 14), written into docs/scale.md between the scale markers.
#
#   bench/scale.sh [--mode cluster|local|both] [--small] [--services N] [--routes N] [--upstreams N]
#                  [--endpoints N] [--consumers N] [--edits N] [--rollout N] [--rollout-seconds N] [--phase-seconds N]
#                  [--sync-seconds N] [--controller-heap SIZE] [--proxy-heap SIZE] [--local-heap SIZE]
#                  [--local-jvm-options "OPTS"] [--api mock|standin] [--status-writes-per-second N]
#                  [--full] [--fill-only] [--baseline-proxy-jar JAR] [--out FILE] [--no-build]
#
# Builds the Gatehouse jar and the bench module (Maven profile `bench`, outside the default build
# and `verify`), then:
#   cluster  an API server in the harness's JVM holding the generated cluster — the indexed stand-in
#            (--api standin, the default above 20 000 objects) or the Fabric8 mock server's CRUD mode
#            (--api mock, O(objects) per request); `gatehouse controller` and two `gatehouse proxy`
#            processes on it, over the real channel. Initial sync, route edits, a rollout (--rollout pods
#            replaced, their EndpointSlice writes paced evenly over --rollout-seconds, default 500 over 30 s),
#            bytes, CPU, heaps. --fill-only stops once the cluster is written (its time).
#   local    the same config as YAML files for one `gatehouse local` process (-Xmx512m by default):
#            start → first request, route edit → served, target edit → served, heap and RSS.
# Default sizes are the issue's: 5 000 GatewayServices, 10 000 GatewayRoutes, 2 000 Upstreams,
# 50 000 endpoints, 10 000 Consumers; 100 route edits; 500 pods replaced in the rollout. --small
# divides every size by 50 (a run of seconds). Each measured phase stops after --phase-seconds
# (default 300) and reports how many changes it measured. --full is the issue's sizes with the
# budgets a full-size run needs on 2 cores: --phase-seconds 600 --sync-seconds 900, and the
# controller's status pass at --status-writes-per-second 500 (27 000 Gatehouse objects' status:
# about a minute instead of 9 at its default 50); later flags override these. --baseline-proxy-jar runs the second
# proxy from another build's jar, to compare the two builds' proxy heaps in one run.
# Figures depend on the machine: run it on a quiet one for figures worth quoting.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=both; OUT="$ROOT/docs/scale.md"; BUILD=1; ARGS=(); SIZES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE=$2; shift 2;;
    --small) SIZES+=(--services 100 --routes 200 --upstreams 40 --endpoints 1000 --consumers 200 --edits 20 --rollout 10 --rollout-seconds 3); shift;;
    --services|--routes|--upstreams|--endpoints|--consumers|--edits|--rollout) SIZES+=("$1" "$2"); shift 2;;
    --full) ARGS+=(--phase-seconds 600 --sync-seconds 900 --status-writes-per-second 500); shift;;
    --fill-only) ARGS+=("$1"); shift;;
    --phase-seconds|--sync-seconds|--rollout-seconds|--controller-heap|--proxy-heap|--local-heap|--local-jvm-options|--api|--status-writes-per-second|--baseline-proxy-jar) ARGS+=("$1" "$2"); shift 2;;
    --out) OUT=$2; shift 2;;
    --no-build) BUILD=0; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
case "$MODE" in cluster) MODES=(cluster);; local) MODES=(local);; both) MODES=(cluster local);;
  *) echo "--mode: $MODE (expected: cluster, local or both)" >&2; exit 2;; esac

if [ "$BUILD" = 1 ]; then
  ./mvnw -B -q -P bench -pl app,bench/scale -am package -DskipTests
fi
WORK=$(mktemp -d /tmp/gatehouse-scale.XXXXXX)
echo "scale: work directory (logs of every process) $WORK" >&2

for mode in "${MODES[@]}"; do
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  START=$(date -u +%FT%TZ)
  # the harness holds the API server and every object in it
  java -Xmx4g -jar bench/scale/target/scale-bench.jar --mode "$mode" --jar app/target/gatehouse.jar \
    --work "$WORK/$mode" --out "$WORK/$mode.md" "${SIZES[@]}" "${ARGS[@]}"
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
  python3 - "$OUT" "$mode" "$WORK/$mode.md" "$START" "$LOAD_BEFORE" "$LOAD_AFTER" "bench/scale.sh --mode $mode ${SIZES[*]} ${ARGS[*]}" <<'PY'
import sys, os, re, subprocess
out, mode, table, start, before, after, command = sys.argv[1:8]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
mem = subprocess.run(["sh", "-c", "free -g | awk '/Mem:/{print $2}'"], capture_output=True, text=True).stdout.strip()
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
cores = os.cpu_count()
title = {"cluster": "Cluster mode: controller + 2 proxies on an in-process API server",
         "local": "Local mode: `gatehouse local` on the same config as files"}[mode]
lines = [f"<!-- scale:{mode}:begin (written by bench/scale.sh) -->", f"### {title}", "",
         f"- Made by: `{command.strip()}`, started {start}.",
         f"- Machine: {cpu}, {cores} cores, {mem} GiB; {java}. Load average (1, 5, 15 min) {before} before, {after} after."]
if float(before.split()[0]) > 0.5 * cores or float(after.split()[0]) > 0.5 * cores:
    lines.append(f"- **Taken on a busy machine** (other work running: load {before.split()[0]} → {after.split()[0]} on {cores} cores): "
                 "the latencies are upper bounds; rerun on a quiet machine before quoting them.")
lines += [""] + open(table).read().rstrip("\n").splitlines() + [f"<!-- scale:{mode}:end -->"]
block = "\n".join(lines)
page = open(out).read() if os.path.exists(out) else "# Scale\n"
pattern = re.compile(rf"<!-- scale:{mode}:begin.*?<!-- scale:{mode}:end -->", re.S)
page = pattern.sub(lambda _: block, page) if pattern.search(page) else page.rstrip("\n") + "\n\n" + block + "\n"
open(out, "w").write(page)
print(block)
PY
done
