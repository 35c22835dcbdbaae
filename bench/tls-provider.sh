#!/usr/bin/env bash
# The TLS port with OpenSSL (BoringSSL, netty-tcnative) against the JDK's provider, in one run.
#
#   bench/tls-provider.sh [--duration SECONDS] [--rounds N] [--connections C] [--warmup SECONDS]
#   bench/tls-provider.sh --cpu [HANDSHAKES REQUESTS]
#   bench/tls-provider.sh --records [REQUESTS ROUNDS]
#
# --cpu runs TlsHandshakeCpu.java instead: the server engine's CPU time per full TLS 1.3
# handshake and per keep-alive request/response, in memory, for both providers. It needs no free
# core and is what docs/tls.md quotes (the build machine is shared); the socket run below is the
# end-to-end check for a quiet machine. --records runs TlsRecordCpu.java: what Netty's SslHandler
# (OpenSSL) costs the server per keep-alive request, in memory, with the response's head and body
# written apart or as one buffer and with the adaptive or the pooled allocator (bytes allocated,
# CPU time, records out: docs/benchmarks.md, "HTTPS keep-alive: what TLS adds per request").
#
# The proxy (one event loop, TlsProviderBench.java) is pinned to core 0, wrk to core 1. No route:
# the proxy answers every request itself (404 JSON), so the figures are TLS and HTTP/1.1 parsing,
# not a backend. Two loads per provider, interleaved per round so drift hits both alike:
#   keep-alive  wrk -c C over TLS 1.3, connections kept: requests/s of bulk TLS;
#   handshakes  wrk -c C with "Connection: close": every request a new connection and a full
#               TLS 1.3 handshake (wrk keeps no session), so requests/s = handshakes/s.
# Each figure is requests per CPU-second of the proxy process (utime+stime from /proc over the
# measured run), so a machine shared with other work still compares the providers fairly; the
# wall-clock rate is printed beside it on stderr. Prints a Markdown table (median of the rounds,
# min–max). Not a test: run it on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=5; ROUNDS=3; CONNECTIONS=16; WARMUP=5; CPU=
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;; --rounds) ROUNDS=$2; shift 2;; --connections) CONNECTIONS=$2; shift 2;;
    --warmup) WARMUP=$2; shift 2;;
    --cpu) CPU=1; shift; CPU_ARGS=("$@"); break;;
    --records) CPU=records; shift; CPU_ARGS=("$@"); break;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
CP=$(mktemp /tmp/gatehouse-tls-cp.XXXXXX)
./mvnw -B -o -q -pl proxy -am test-compile >/dev/null
./mvnw -B -o -q -pl proxy dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP" >/dev/null
CLASSPATH="proxy/target/classes:config/target/classes:$(cat "$CP")"
rm -f "$CP"
if [ "$CPU" = records ]; then
  exec java -Xmx256m -cp "$CLASSPATH" bench/TlsRecordCpu.java "${CPU_ARGS[0]:-200000}" "${CPU_ARGS[1]:-3}"
fi
if [ -n "$CPU" ]; then
  exec java -Xmx256m -cp "$CLASSPATH" bench/TlsHandshakeCpu.java "${CPU_ARGS[0]:-3000}" "${CPU_ARGS[1]:-200000}"
fi
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)" >&2; exit 2; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)

run_provider() { # provider load -> requests per CPU-second of the proxy
  local provider=$1 load=$2 fifo port out
  fifo=$(mktemp -u /tmp/gatehouse-tls-in.XXXXXX); mkfifo "$fifo"
  out=$(mktemp /tmp/gatehouse-tls-out.XXXXXX)
  taskset -c 0 java -Xmx256m -cp "$CLASSPATH" bench/TlsProviderBench.java "$provider" <"$fifo" >"$out" 2>/dev/null &
  local pid=$!
  exec 9>"$fifo"
  for _ in $(seq 1 300); do grep -q '^ready' "$out" && break; sleep 0.1; done
  port=$(awk '/^ready/{print $2}' "$out")
  local header=()
  [ "$load" = handshakes ] && header=(-H "Connection: close")
  # warm the JIT and the native library up before measuring
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "${header[@]}" "https://127.0.0.1:$port/" >/dev/null 2>&1 || true
  local before after report requests
  before=$(cpu_ticks "$pid")
  report=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "${header[@]}" "https://127.0.0.1:$port/" 2>/dev/null)
  after=$(cpu_ticks "$pid")
  requests=$(echo "$report" | awk '/requests in/{print $1}')
  echo "  $provider $load: $requests requests, $(echo "$report" | awk '/Requests\/sec/{print $2}') req/s wall," \
    "$(( after - before )) ticks of CPU" >&2
  awk -v r="$requests" -v t="$(( after - before ))" -v hz="$TICKS" 'BEGIN {printf "%d\n", (t > 0 ? r * hz / t : 0)}'
  exec 9>&-
  wait "$pid" 2>/dev/null || true
  rm -f "$fifo" "$out"
}

declare -A RESULTS
for round in $(seq 1 "$ROUNDS"); do
  for load in keep-alive handshakes; do
    for provider in openssl jdk; do
      r=$(run_provider "$provider" "$load")
      RESULTS["$provider/$load"]+="$r "
      echo "round $round $load $provider: $r req per CPU-second" >&2
    done
  done
done

stat() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {printf "%d (%d–%d)", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo "| requests per CPU-second of the proxy (wrk -c $CONNECTIONS, ${DURATION}s × $ROUNDS) | openssl | jdk |"
echo "|---|---|---|"
for load in keep-alive handshakes; do
  echo "| $load req/s | $(stat "${RESULTS[openssl/$load]}") | $(stat "${RESULTS[jdk/$load]}") |"
done
