# Shared by the bench scripts (sourced from the project root): tools, the Gatehouse jar, a work
# directory cleaned on exit, nginx replicas pinned to core 1, CPU accounting. Not run on its own.

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need wrk || ! need h2load || ! need haproxy; then
  echo "bench: installing nginx, HAProxy, wrk and h2load (Debian packages)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light haproxy wrk nghttp2-client >/dev/null
fi
# GATEHOUSE_JAR picks another build (a before/after pair); the default is this checkout's.
JAR=${GATEHOUSE_JAR:-app/target/gatehouse.jar}
[ -f "$JAR" ] || ./mvnw -B -q -DskipTests -pl app -am package
# nginx runs with keepalive_requests 1000000: give Gatehouse the same per-connection cap when the
# build has the flag (its default, 1000, would make wrk reconnect every 1000 requests).
EXTRA=()
if java -jar "$JAR" local --help 2>/dev/null | grep -q -- --max-requests-per-connection; then
  EXTRA+=(--max-requests-per-connection 1000000)
fi
# The same without --transport, for a peer that names its own (bench/run.sh's
# gatehouse-epoll, bench/tls.sh's gatehouse-uring): picocli refuses the flag twice.
EXTRA_OWN_TRANSPORT=("${EXTRA[@]}")
# GATEHOUSE_TRANSPORT=io_uring (or epoll, nio) runs the scripts' Gatehouse on that transport (--transport).
if [ -n "${GATEHOUSE_TRANSPORT:-}" ]; then
  EXTRA+=(--transport "$GATEHOUSE_TRANSPORT")
fi

WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
PIDS=(); REPLICA_PIDS=()
# GATEHOUSE_BENCH_KEEP=1 keeps the scratch directory (logs, JFR recordings, wrk and h2load output) and prints where.
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${GATEHOUSE_BENCH_KEEP:-}" ]; then echo "bench: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

nginx_conf() { # name body [workers]
  mkdir -p "$WORK/$1/logs"
  cat > "$WORK/$1/nginx.conf" <<CONF
worker_processes ${3:-1};
daemon off;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  $2
}
CONF
}

# nginx as the equivalent gateway: round robin over the two replicas with upstream keep-alive,
# the walkthrough's key check on /profile (known key -> X-Consumer-ID, else 401), and Gatehouse's
# header rules (NGINX_PROXY_HEADERS and the rest below).
# Gatehouse's header rules, as nginx directives: what Gatehouse adds to every request it forwards
# (X-Request-Id, X-Forwarded-For/-Proto/-Host/-Port, Via) and to every response (Via, X-Request-Id, the
# upstream and proxy latencies), and on /profile the consumer's username and credential besides its id
# (NGINX_CONSUMER_HEADERS), so that the three gateways send the replicas and the client the same
# header lines (Gatehouse's stay on in every figure: issue 13). Without them Gatehouse's requests carried
# six header lines more and its responses four more than nginx's and HAProxy's, parsed by the replicas
# and wrk on core 1, the load side's busy core: nginx with these rules measured p99 1.19x its own
# without them, in the same rounds (docs/benchmarks.md, stop 36). A location that sets a proxy header
# of its own loses the server's (nginx's inheritance): /profile repeats them.
NGINX_PROXY_HEADERS="proxy_set_header Connection '';
    proxy_set_header X-Request-Id \$request_id;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_set_header X-Forwarded-Host \$http_host;
    proxy_set_header X-Forwarded-Port \$server_port;
    proxy_set_header Via '1.1 nginx';"
NGINX_RESPONSE_HEADERS="add_header Via '1.1 nginx';
    add_header X-Request-Id \$request_id;
    add_header X-Upstream-Latency \$upstream_response_time;
    add_header X-Proxy-Latency \$request_time;"
NGINX_CONSUMER_HEADERS="proxy_set_header X-Consumer-Username bench;
      proxy_set_header X-Credential-Identifier bench-key;"
HAPROXY_HEADERS="  unique-id-format %[uuid()]
  http-request set-header X-Request-Id %[unique-id]
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request set-header Via \"1.1 haproxy\"
  http-response set-header Via \"1.1 haproxy\"
  http-response set-header X-Request-Id %[unique-id]
  http-response set-header X-Upstream-Latency %Tr
  http-response set-header X-Proxy-Latency %TR"
HAPROXY_CONSUMER_HEADERS="  http-request set-header X-Consumer-Username bench if profile
  http-request set-header X-Credential-Identifier bench-key if profile"
# GATEHOUSE_BENCH_PEER_HEADERS=0 runs nginx and HAProxy without these rules: the comparison before stop 36.
if [ "${GATEHOUSE_BENCH_PEER_HEADERS:-1}" = 0 ]; then
  NGINX_PROXY_HEADERS="proxy_set_header Connection '';"; NGINX_RESPONSE_HEADERS=""; NGINX_CONSUMER_HEADERS=""
  HAPROXY_HEADERS=""; HAPROXY_CONSUMER_HEADERS=""
fi
nginx_gateway() { # name port replica1-port replica2-port key [workers]
  nginx_conf "$1" "
  upstream replicas { server 127.0.0.1:$3; server 127.0.0.1:$4; keepalive 64; }
  map \$http_apikey \$consumer_id { default ''; '$5' 'bench-consumer'; }
  server {
    listen 127.0.0.1:$2 reuseport;
    proxy_http_version 1.1;
    $NGINX_PROXY_HEADERS
    $NGINX_RESPONSE_HEADERS
    location / { proxy_pass http://replicas; }
    location /profile {
      if (\$http_apikey = '') { return 401 '{\"message\":\"No API key found in request\"}'; }
      if (\$consumer_id = '') { return 401 '{\"message\":\"Unauthorized\"}'; }
      # proxy_set_header at this level replaces the server's: repeat them (Connection '' among them, or
      # nginx closes every upstream connection on this path)
      $NGINX_PROXY_HEADERS
      proxy_set_header X-Consumer-ID \$consumer_id;
      $NGINX_CONSUMER_HEADERS
      proxy_set_header apikey '';
      proxy_pass http://replicas;
    }
  }" "${6:-1}"
}

replica() { # port
  nginx_conf "replica-$1" "
  server {
    listen 127.0.0.1:$1 reuseport;
    location / { default_type text/plain; return 200 'Hello from my service'; }
    # closes every connection after its response (Connection: close): lib.sh's warm_connections makes
    # the gateways connect to the replicas again for each request here
    location /bench-reconnect { keepalive_requests 1; default_type text/plain; return 200 'Hello from my service'; }
    location /profile {
      if (\$http_x_consumer_id = '') { return 401 'Unauthorized\n'; }
      default_type application/json;
      return 200 '{\"id\":\"\$http_x_consumer_id\",\"username\":\"moesif\",\"description\":\"Advanced API Analytics platform\"}\n';
    }
  }"
  taskset -c 1 nginx -c "$WORK/replica-$1/nginx.conf" -p "$WORK/replica-$1" &
  PIDS+=($!); REPLICA_PIDS+=($!)
}

# The two replicas (core 1) and nginx as the equivalent gateway (core 0, lib.sh's nginx_gateway), as
# every comparing script starts them: sets R1, R2, NGX (ports), KEY and NGX_PID (nginx's master).
replicas_and_nginx() {
  R1=$(free_port); R2=$(free_port); NGX=$(free_port)
  KEY=bench-secret-key
  replica "$R1"; replica "$R2"
  nginx_gateway gateway "$NGX" "$R1" "$R2" "$KEY"
  taskset -c 0 nginx -c "$WORK/gateway/nginx.conf" -p "$WORK/gateway" &
  NGX_PID=$!; PIDS+=($NGX_PID)
}

cpu_ticks() { # utime+stime of a process and its children (nginx's master and its worker)
  local total=0 p
  for p in "$1" $(pgrep -P "$1"); do
    total=$((total + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# One `gatehouse local` on the bench's config (lib.sh's bench_yaml over R1 and R2, from
# replicas_and_nginx), pinned to core 0, access log off, waited for until it answers /profile with the key
# (local_gatehouse name jar jvm-flags [more java options...]): sets GH_URL (no trailing slash) and
# GH_PID; its log is $WORK/name.log. The comparing scripts' Gatehouse peers (ab.sh, p99.sh, tail.sh,
# submissions.sh, perfsplit.sh); run.sh starts its own three, which differ in access log and transport.
# GH_JAVA names the java launcher (default: java on the PATH), so a peer can run on another JDK.
local_gatehouse() {
  local name=$1 jar=$2 flags=$3 port status
  shift 3
  mkdir -p "$WORK/$name"
  bench_yaml "$R1" "$R2" "$KEY" > "$WORK/$name/bench.yaml"
  port=$(free_port); status=$(free_port)
  # shellcheck disable=SC2086 # the flags are a list
  GATEHOUSE_LOG_LEVEL=WARN taskset -c 0 "${GH_JAVA:-java}" $flags "$@" -Dio.netty.leakDetection.level=disabled \
    -jar "$jar" local --dir "$WORK/$name" "${EXTRA[@]}" --address 127.0.0.1 --port "$port" --status-port "$status" \
    --access-log off > "$WORK/$name.log" 2>&1 &
  GH_PID=$!; PIDS+=($GH_PID)
  GH_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$status/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "$GH_URL/profile" -H "apikey: $KEY" >/dev/null \
    || { echo "gatehouse $name did not come up:"; cat "$WORK/$name.log"; exit 1; }
}

# A gateway's CPU share over a load (cpu_share ticks-before ticks-after time-before time-after, from
# cpu_ticks and date +%s.%N): cores used over the wall time, 1 when nothing was counted (direct).
cpu_share() {
  awk -v c0="$1" -v c1="$2" -v t0="$3" -v t1="$4" -v hz="$HZ" 'BEGIN { s=(c1-c0)/hz/(t1-t0); if (s<=0) s=1; printf "%.3f", s }'
}
HZ=$(getconf CLK_TCK)

# The wrk/h2load arguments a path needs (key_header PATH): sets HEADER, the walkthrough's key on /profile.
key_header() {
  HEADER=()
  if [ "$1" = /profile ]; then HEADER=(-H "apikey: $KEY"); fi
}

# For the scripts that trace or sample a gateway's thread with perf: stops the script when perf is missing.
need_perf() {
  need perf || { echo "bench: needs perf (apt-get install linux-perf)" >&2; exit 2; }
}

# The thread id of a Gatehouse's first event loop (loop_thread PID), what perf traces or samples.
loop_thread() {
  local t
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm")" in gatehouse-io-*) basename "$t"; return;; esac
  done
}

ms() { # wrk latency (e.g. 512.00us, 1.20ms, 1.01s) -> ms
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'
}


# wrk's report on stdin -> "rps p50_ms p99_ms errors [p99.9_ms]" (errors: socket errors + non-2xx
# answers; p99.9 only when wrk ran with the script of wrk_p999_script, as --latency stops at 99%)
wrk_stats() {
  local out rps p50 p99 p999 errs non2xx
  out=$(cat)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  p999=$(awk '$1=="p99.9_us" {printf "%.3f", $2/1000}' <<<"$out")
  errs=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' <<<"$out"); errs=${errs:-0}
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  echo "$rps $(ms "$p50") $(ms "$p99") $((errs + non2xx))${p999:+ $p999}"
}

# Warms a gateway's connection set-up and close as its requests are warmed (warm_connections url seconds
# [connections]): wrk with `Connection: close`, one request per connection, from core 1. A warm-up over
# long-lived connections alone opens a few dozen of them, so the accept, pipeline and close code stays in
# the interpreter and C1; the 32 new connections of the next measured load then made Gatehouse compile it
# on its own core in the load's first second (15-47 C1 compilations there in four runs, 2-13 after this
# warm-up; the first second's p99.9 halved in two of them: docs/benchmarks.md, "The start-of-load
# stall"). nginx and HAProxy have no JIT; they get the same warm-up for symmetry.
# Then the gateway's side of it: 10 s on the replicas' /bench-reconnect, which closes every upstream
# connection after its response, so the gateway connects to a replica for each request (over ten
# thousand connects). A proxy in service connects to its targets all the time (a target's own request
# limit, Gatehouse's --upstream-keepalive-max-requests, idle timeouts, new pods); the warm-up above did it only
# when a connection reached 10 000 requests or an idle spell closed them all, so after minutes of
# warm-up Gatehouse's connect path was still interpreted (UpstreamPool.connect reached C1 after 316 s
# of a p99.sh-like run, -XX:+PrintCompilation) and each load after an idle spell ran its 32 connects
# there. On a just-started Gatehouse this load runs at 0.9k requests a second in its first 5 s and
# reaches nginx's 9k only after about 30 s, as the JIT compiles the path (docs/benchmarks.md).
warm_connections() {
  taskset -c 1 wrk -t1 -c"${3:-32}" -d"$2"s -H "Connection: close" "$1" >/dev/null 2>&1
  taskset -c 1 wrk -t1 -c"${3:-32}" -d10s "$(sed -E 's#^(https?://[^/]+).*#\1#' <<<"$1")/bench-reconnect" >/dev/null 2>&1
}

# The warm-up's last part (warm_after_idle seconds url...), twice: a pause past Gatehouse's upstream
# idle timeout (30 s, reaped every 5 s), then on each url 5 s of load and six loads of one second, from
# core 1. A proxy in service has been through idle spells and client closes many times: its pool
# closed idle connections (a cancelled read on each) and reconnected under load, clients closed their
# keep-alive connections (the end of every load here), its timers rotated after a pause, and the JIT
# has compiled those branches in. A warm-up of one or two loads had not, so the measured loads took
# them: the end of a load threw away compiled code of the read and write paths (uncommon traps in
# `AbstractUnsafe.write`, `doBeginRead`, `ClientIdle`, the cancelled-read branch of `readComplete`),
# and the next load's first second ran them in the interpreter while C2 compiled them again on the
# loop's core (`handle` 130 ms): docs/decisions.md, "The p99 at 32 connections: a proxy in service".
# One spell was not enough: the pool's second reap still threw compiled code away (an uncommon trap in
# `ByteToMessageDecoder.callDecode`'s closing branch and a class check in its `cumulate`, in a copy of the
# read path compiled after the first spell), and the first measured load began by compiling
# `ByteToMessageDecoder.channelRead` (56 ms) and `fireChannelRead` (22 ms) again on the loop's core: its
# p99 on `/` was 2.35 ms against 1.97 and 2.04 in the next rounds (JFR of a run.sh run, 3 rounds). After
# the second spell no such trap came back in that run.
# What a just-started proxy does is measured on its own by bench/tail.sh and bench/startup.sh. nginx
# and HAProxy get the same pauses and loads.
warm_after_idle() {
  local idle=$1 url i spell; shift
  for spell in 1 2; do
    sleep "$idle"
    for url in "$@"; do
      taskset -c 1 wrk -t1 -c32 -d5s "$url" >/dev/null 2>&1
      for i in 1 2 3 4 5 6; do taskset -c 1 wrk -t1 -c32 -d1s "$url" >/dev/null 2>&1; done
    done
  done
}

# A wrk script (path on stdout) that prints the 99.9th latency percentile in microseconds once, at
# the end of the run (no per-request Lua, so it does not slow wrk down).
wrk_p999_script() {
  cat > "$WORK/p999.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("p99.9_us %d\n", latency:percentile(99.9)))
end
LUA
  echo "$WORK/p999.lua"
}

# The JVM flags Gatehouse runs with in the benchmarks: the chart's proxy.javaOpts (the collector and
# the heap as a share of the memory limit; without the image's archive path, which only matters to a
# start) in the chart's 512 MiB memory limit (-XX:MaxRAM), and one core's worth of threads (the gateway
# is pinned to one core, as a pod with a CPU limit of 1 is). So the figures are the chart's, young
# generation and pauses included (docs/decisions.md, "The proxy's JVM flags"). GATEHOUSE_BENCH_JVM
# overrides them (an A/B of collectors or heap sizes).
CHART_JAVA_OPTS=$(awk '/^proxy:/ {p=1} p && /^  javaOpts:/ {sub(/^  javaOpts: */, ""); gsub(/"/, ""); print; exit}' helm/gatehouse/values.yaml \
  | sed 's/ *-XX:SharedArchiveFile=[^ ]*//')
GATEHOUSE_BENCH_JVM=${GATEHOUSE_BENCH_JVM:-$CHART_JAVA_OPTS -XX:MaxRAM=512m -XX:ActiveProcessorCount=1}

# HAProxy as the equivalent gateway (haproxy_gateway port replica1-port replica2-port key; writes
# $WORK/haproxy/haproxy.cfg and checks it): one thread, round robin over the two replicas, idle server
# connections shared by every client (http-reuse always), the key check on /profile as an ACL on a
# map (known key -> X-Consumer-ID, no key or an unknown one -> 401), the key not sent upstream,
# Gatehouse's header rules as nginx_gateway has them; no log, as nginx's access_log off.
haproxy_gateway() {
  mkdir -p "$WORK/haproxy"
  printf '%s bench-consumer\n' "$4" > "$WORK/haproxy/keys.map"
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
  bind 127.0.0.1:$1
  acl profile path /profile
  acl profile path_beg /profile/
  http-request return status 401 content-type application/json string '{"message":"No API key found in request"}' if profile !{ req.hdr(apikey) -m found }
  http-request set-var(txn.consumer) req.hdr(apikey),map($WORK/haproxy/keys.map) if profile
  http-request return status 401 content-type application/json string '{"message":"Unauthorized"}' if profile !{ var(txn.consumer) -m found }
  http-request set-header X-Consumer-ID %[var(txn.consumer)] if profile
$HAPROXY_CONSUMER_HEADERS
  http-request del-header apikey if profile
  # Gatehouse's header rules (lib.sh's NGINX_PROXY_HEADERS says why)
$HAPROXY_HEADERS
  default_backend replicas
backend replicas
  balance roundrobin
  http-reuse always
  server r1 127.0.0.1:$2
  server r2 127.0.0.1:$3
CFG
  haproxy -c -q -f "$WORK/haproxy/haproxy.cfg"
}

replicas_yaml() { # replica1-port replica2-port: the Upstream over the two replicas and its GatewayService (stdout)
  cat <<YAML
apiVersion: gatehouse.dev/v1alpha1
kind: Upstream
metadata: {name: replicas}
spec: {targets: [{address: "127.0.0.1:$1"}, {address: "127.0.0.1:$2"}]}
---
apiVersion: gatehouse.dev/v1alpha1
kind: GatewayService
metadata: {name: replicas}
spec: {upstreamRef: {name: replicas}}
---
YAML
}

bench_yaml() { # replica1-port replica2-port key: the bench's config for `gatehouse local` (stdout)
  replicas_yaml "$1" "$2"
  cat <<YAML
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
metadata: {name: bench}
spec: {username: bench, keyAuth: {secretRefs: [{name: bench-key}]}}
---
apiVersion: v1
kind: Secret
metadata: {name: bench-key, labels: {gatehouse.dev/credential: key-auth}}
stringData: {key: $3}
YAML
}

tls_bench_certificate() { # dir: a CA (ca.crt) and an ECDSA P-256 leaf for bench.local (tls.crt, tls.key) in dir
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$1/ca.key" -out "$1/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench.local \
    -keyout "$1/tls.key" -out "$1/tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:bench.local\n' > "$1/san.ext"
  openssl x509 -req -in "$1/tls.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial -days 2 \
    -extfile "$1/san.ext" -out "$1/tls.crt" 2>/dev/null
}

# nginx as the TLS benches' gateway, started on core 0 (NGX_PID): round robin over the two replicas with
# upstream keep-alive, the certificate of tls_bench_certificate in cert-dir, TLS 1.2 and 1.3, Gatehouse's
# header rules (NGINX_PROXY_HEADERS); the listen lines (and any other server directives) are the caller's.
nginx_tls_gateway() { # replica1-port replica2-port cert-dir "listen ...; ..."
  nginx_conf gateway "
  upstream replicas { server 127.0.0.1:$1; server 127.0.0.1:$2; keepalive 64; }
  server {
    $4
    ssl_certificate $3/tls.crt;
    ssl_certificate_key $3/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    proxy_http_version 1.1;
    $NGINX_PROXY_HEADERS
    $NGINX_RESPONSE_HEADERS
    location / { proxy_pass http://replicas; }
  }"
  taskset -c 0 nginx -c "$WORK/gateway/nginx.conf" -p "$WORK/gateway" &
  NGX_PID=$!; PIDS+=($NGX_PID)
}

tls_bench_yaml() { # replica1-port replica2-port cert-dir: the TLS benches' config for `gatehouse local` (stdout)
  replicas_yaml "$1" "$2"
  cat <<YAML
apiVersion: gatehouse.dev/v1alpha1
kind: GatewayRoute
metadata: {name: root}
spec: {serviceRef: {name: replicas}, hosts: [bench.local], paths: ["/"], tls: {secretName: bench-tls}}
---
apiVersion: v1
kind: Secret
metadata: {name: bench-tls}
type: kubernetes.io/tls
stringData:
  tls.crt: |
YAML
  sed 's/^/    /' "$3/tls.crt"
  echo "  tls.key: |"
  sed 's/^/    /' "$3/tls.key"
}
