#!/usr/bin/env bash
# The AppCDS archive the image ships (-XX:SharedArchiveFile): one training start of the jar that
# serves a few requests and stops on SIGTERM, so the JVM writes the classes it loaded
# (-XX:ArchiveClassesAtExit, JDK 17's dynamic archive on top of the JDK's own default archive).
#
#   bench/cds-train.sh /ABSOLUTE/PATH/gatehouse.jar ARCHIVE
#
# The Dockerfile runs it in the run stage, with the JRE that will run the image (an archive only maps
# into the JVM build that wrote it, for the jar that it was written for: same path, size and mtime).
# It runs here the same way (docs/benchmarks.md, "Startup and memory").
#
# What the training does: `gatehouse demo` on a directory this script writes (the walkthrough's
# objects: two built-in replicas, round robin, key-auth on /profile), so a start loads what `local`
# and `proxy` load — picocli, logback, the translator, the snapshot channel on both ends, the proxy's
# pipeline, the TLS provider, Micrometer — then requests `/`, `/profile` with and without a key and
# the status port's /readyz, /status and /metrics, so the first request's classes are in the
# archive too. Only bash and the JRE are needed (requests go through bash's /dev/tcp).
#
# The training JVM gets the image's flags without the archive (TRAIN_JAVA_OPTS) and a 512 MiB
# -XX:MaxRAM: the archive records whether compressed object pointers were on, and they are off on
# a heap above ~32 GiB, which MaxRAMPercentage=75 would give on a large build host. A runtime whose
# settings do not match (another JVM build, another jar, compressed pointers off) prints a
# [cds] warning and runs without the archive: -Xshare:auto, the JVM's default.
#
# Exit status: 0 with ARCHIVE written and checked to be usable (a start of the jar with it loads
# Gatehouse's classes from it), 1 otherwise (with the JVM's output).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bench/cds-train.sh JAR ARCHIVE" >&2; exit 2; }
JAR=$1; ARCHIVE=$2
[ -f "$JAR" ] || { echo "cds-train: $JAR: no such file (expected: the gatehouse jar)" >&2; exit 2; }
# the archive records the class path as written and is used only by a start with the same one: the
# jar's absolute path, as the image's ENTRYPOINT gives it (java -jar /opt/gatehouse/gatehouse.jar)
case "$JAR" in /*) ;; *) echo "cds-train: $JAR: give the jar's absolute path, the one java -jar will be given" >&2; exit 2;; esac
TRAIN_JAVA_OPTS=${TRAIN_JAVA_OPTS:--XX:+UseParallelGC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError}
# how long the start may take: a multi-arch image build runs this under emulation, many times slower
TIMEOUT=${CDS_TRAIN_TIMEOUT:-600}
JAVA=${JAVA:-java}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-cds.XXXXXX")
GH_PID=""
cleanup() { [ -n "$GH_PID" ] && kill "$GH_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# a port nothing listens on (bash only: a refused connection means free)
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}
# status code of GET PATH on PORT ("000" when nothing answers), with an optional header line
status_of() { # port path [header]
  local code=000
  {
    exec 3<>"/dev/tcp/127.0.0.1/$1" &&
      printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s\r\n' "$2" "${3:+$3$'\r\n'}" >&3 &&
      read -r -t 10 _ code _ <&3 && cat <&3 >/dev/null
    exec 3<&-
  } 2>/dev/null || true
  echo "${code:-000}"
}

R1=$(free_port); R2=$(free_port); PORT=$(free_port); STATUS=$(free_port); TLS=$(free_port)
KEY=cds-training-key
mkdir -p "$WORK/config"
cat > "$WORK/config/training.yaml" <<YAML
apiVersion: gatehouse.dev/v1alpha1
kind: Upstream
metadata: {name: replicas}
spec: {targets: [{address: "127.0.0.1:$R1"}, {address: "127.0.0.1:$R2"}]}
---
apiVersion: gatehouse.dev/v1alpha1
kind: GatewayService
metadata: {name: replicas}
spec: {upstreamRef: {name: replicas}}
---
apiVersion: gatehouse.dev/v1alpha1
kind: GatewayRoute
metadata: {name: root}
spec: {serviceRef: {name: replicas}, paths: ["/"]}
---
apiVersion: gatehouse.dev/v1alpha1
kind: GatewayRoute
metadata: {name: profile}
spec: {serviceRef: {name: replicas}, paths: ["/profile"], stripPath: false, plugins: {keyAuth: {hideCredentials: true}}}
---
apiVersion: gatehouse.dev/v1alpha1
kind: Consumer
metadata: {name: training}
spec: {username: training, keyAuth: {secretRefs: [{name: training-key}]}}
---
apiVersion: v1
kind: Secret
metadata: {name: training-key, labels: {gatehouse.dev/credential: key-auth}}
stringData: {key: $KEY}
YAML

rm -f "$ARCHIVE"
echo "cds-train: training start of $JAR (ports $PORT, status $STATUS, replicas $R1 $R2)" >&2
# shellcheck disable=SC2086 # TRAIN_JAVA_OPTS is a list of flags
env -u JDK_JAVA_OPTIONS GATEHOUSE_LOG_LEVEL=WARN "$JAVA" $TRAIN_JAVA_OPTS -XX:MaxRAM=512m \
  -XX:ArchiveClassesAtExit="$ARCHIVE" -jar "$JAR" demo --dir "$WORK/config" --backend-ports "$R1,$R2" \
  --address 127.0.0.1 --port "$PORT" --tls-port "$TLS" --status-port "$STATUS" --access-log off --drain-delay 0s \
  > "$WORK/training.log" 2>&1 &
GH_PID=$!

fail() { echo "cds-train: $1; the JVM's output:" >&2; cat "$WORK/training.log" >&2; exit 1; }
deadline=$((SECONDS + TIMEOUT))
until [ "$(status_of "$PORT" /)" = 200 ]; do
  kill -0 "$GH_PID" 2>/dev/null || fail "the training start exited before serving"
  [ "$SECONDS" -lt "$deadline" ] || fail "the training start did not serve / within ${TIMEOUT}s (CDS_TRAIN_TIMEOUT)"
  sleep 0.2
done
expect() { # code port path [header]
  local got; got=$(status_of "$2" "$3" "${4:-}")
  [ "$got" = "$1" ] || fail "GET $3 on port $2 answered $got (expected: $1)"
}
for _ in 1 2 3 4 5 6 7 8 9 10; do
  expect 200 "$PORT" /
  expect 200 "$PORT" /profile "apikey: $KEY"
done
expect 401 "$PORT" /profile
expect 401 "$PORT" /profile "apikey: wrong"
expect 200 "$STATUS" /readyz
expect 200 "$STATUS" /status
expect 200 "$STATUS" /metrics

kill -TERM "$GH_PID"
wait "$GH_PID" || true
GH_PID=""
[ -s "$ARCHIVE" ] || fail "no archive written at $ARCHIVE"

# usable: a start with it loads Gatehouse's own classes from it (the JVM logs each class's source)
"$JAVA" $TRAIN_JAVA_OPTS -XX:MaxRAM=512m -XX:SharedArchiveFile="$ARCHIVE" -Xshare:auto -Xlog:class+load=info \
  -jar "$JAR" --version > "$WORK/check.log" 2>&1 || true
grep -q 'dev.gatehouse.app.Gatehouse source: shared objects file (top)' "$WORK/check.log" \
  || { echo "cds-train: $ARCHIVE was written but a start does not use it:" >&2; grep -i -m5 -e cds -e share "$WORK/check.log" >&2; exit 1; }
echo "cds-train: $ARCHIVE, $(( $(stat -c %s "$ARCHIVE") / 1024 / 1024 )) MiB, $(grep -c 'source: shared objects file (top)' "$WORK/check.log") classes of a --version start from it" >&2
