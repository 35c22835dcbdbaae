package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.tls.ClientTls;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.trace.Span;


/**
 * One request as metrics and the access log see it: filled in on the event loop as the exchange
 * goes, counted into the route's meters by {@link #finish}, then formatted by the same event loop
 * into its access-log buffer ({@link AccessLog}) and dropped. A request that became a WebSocket tunnel is counted by
 * {@link #tunnelled} and handed to the access log by {@link #tunnelClosed}. A kept-alive connection's next request
 * reuses its finished record ({@link #reusable}), so observing allocates nothing per request (with tracing on, the
 * span: {@link Tracing}); no lookups, no locks.
 */
public final class RequestRecord {
    private final RequestObserver observer;
    /** {@link System#nanoTime} when the request's head was received; the log's {@code time} is made from it ({@link WallClock}). */
    private long startNanos;
    private String method;
    /** {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}; null for a request the gate refused before reading it. */
    private String protocol;
    /** the request-target as received; key parameters are redacted when formatting, off the event loop */
    private String uri;
    private String requestId;
    private ClientAddress client;

    /** The connection's handshake; null for cleartext. */
    private ClientTls tls;
    private RouteMeters meters;
    private String consumer;
    private String target;
    private int status;
    private long bytesIn;
    private long bytesOut;
    private long upstreamNanos = -1;
    private long latencyNanos;
    private int retries;
    private boolean finished;
    /** Set when the connection became a WebSocket tunnel: counted already, logged when it closes. */
    private boolean tunnelled;
    private RouteMeters.TunnelOutcome tunnelOutcome;
    private long tunnelNanos;
    /** The request's span ({@link Tracing}); null when tracing is off. */
    private Span span;
    /** The client sent a valid traceparent: the span is its child. */
    private boolean remoteParent;

    RequestRecord(RequestObserver observer, String method, String protocol, String uri, String requestId, ClientAddress client) {
        this(observer, method, protocol, uri, requestId, client, System.nanoTime());
    }

    RequestRecord(RequestObserver observer, String method, String protocol, String uri, String requestId, ClientAddress client,
                  long startNanos) {
        this.observer = observer;
        reset(method, protocol, uri, requestId, client, startNanos);
    }

    RequestObserver observer() {
        return observer;
    }

    /**
     * True when this record may carry another request ({@link RequestObserver#begin}): it was
     * finished, so it was counted, its span ended and its access-log line formatted (on this event
     * loop, into the loop's buffer: nothing keeps the record), and it is no tunnel's.
     */
    boolean reusable() {
        return finished && tunnelOutcome == null && !tunnelled;
    }

    /** Starts the record afresh, for a request received at {@code startNanos}: every field as a new record has it. */
    void reset(String method, String protocol, String uri, String requestId, ClientAddress client, long startNanos) {
        this.startNanos = startNanos;
        this.method = method;
        this.protocol = protocol;
        this.uri = uri;
        this.requestId = requestId;
        this.client = client;
        this.tls = null;
        this.meters = null;
        this.consumer = null;
        this.target = null;
        this.status = 0;
        this.bytesIn = 0;
        this.bytesOut = 0;
        this.upstreamNanos = -1;
        this.latencyNanos = 0;
        this.retries = 0;
        this.finished = false;
        this.tunnelled = false;
        this.tunnelOutcome = null;
        this.tunnelNanos = 0;
        this.span = null;
        this.remoteParent = false;
    }

    /** The request came over TLS. */
    void tls(ClientTls handshake) {
        this.tls = handshake;
    }

    /** Tracing is on: the request's span, a child of the client's traceparent when {@code remote}. */
    void traced(Span requestSpan, boolean remote) {
        this.span = requestSpan;
        this.remoteParent = remote;
    }

    /**
     * The request goes upstream with these (rewritten) headers: with tracing on, the trace context
     * the target is to see ({@link Tracing#propagate}); with it off, nothing is touched.
     */
    public void propagate(HttpHeaders upstream) {
        if (span != null) {
            Tracing.propagate(span, remoteParent, upstream);
        }
    }

    /** The request matched a route (null meters: none matched); {@code consumer} is the authenticated username, or null. */
    public void routed(RouteMeters routeMeters, String consumerName) {
        this.meters = routeMeters;
        this.consumer = consumerName;
    }

    /**
     * An attempt goes to the target named {@code key} (the access log's {@code target}). Its
     * in-flight count is the balancer's ({@code TargetState}), which the gauge reads.
     */
    public void target(String key) {
        target = key;
    }

    /** The target's response head arrived, {@code nanos} after the request head was written. */
    public void responded(int code, long nanos) {
        status = code;
        upstreamNanos = nanos;
    }

    /** The proxy answered itself with {@code code} and a body of {@code bytes}. */
    public void replied(int code, long bytes) {
        status = code;
        bytesOut += bytes;
    }

    public void bytesIn(long n) {
        bytesIn += n;
    }

    public void bytesOut(long n) {
        bytesOut += n;
    }

    /**
     * The exchange is over (answered, or the client went away: status 499 when no status was
     * sent). Counts it once and queues the access-log line.
     *
     * @param attempts how many targets were tried
     */
    public void finish(int attempts) {
        finish(attempts, System.nanoTime());
    }

    /** As {@link #finish(int)}, the exchange over at {@code nowNanos} ({@link System#nanoTime}), a reading the caller holds. */
    public void finish(int attempts, long nowNanos) {
        if (finished || tunnelled) {
            return;
        }
        finished = true;
        count(attempts, nowNanos);
        endSpan();
        observer.finished(this);
    }

    private void count(int attempts, long nowNanos) {
        latencyNanos = nowNanos - startNanos;
        if (status == 0) {
            status = 499;
        }
        retries = Math.max(0, attempts - 1);
        (meters == null ? observer.unmatched() : meters).answered(status, latencyNanos, upstreamNanos, retries);
    }

    /**
     * The target switched protocols (101) and the connection became a WebSocket tunnel: the
     * request is counted now, its latency the handshake's; the target stays in flight and the
     * access-log line waits for {@link #tunnelClosed}.
     */
    public void tunnelled(int attempts) {
        if (finished || tunnelled) {
            return;
        }
        tunnelled = true;
        count(attempts, System.nanoTime());
    }

    /**
     * The tunnel closed, both sides: counted by {@code outcome} and logged with the bytes that
     * went each way and how long it was open.
     *
     * @param fromClient bytes the client sent through the tunnel ({@code bytes_in})
     * @param toClient   bytes the target sent through it ({@code bytes_out})
     */
    public void tunnelClosed(RouteMeters.TunnelOutcome outcome, long fromClient, long toClient) {
        if (finished || !tunnelled) {
            return;
        }
        finished = true;
        tunnelOutcome = outcome;
        tunnelNanos = System.nanoTime() - startNanos - latencyNanos;
        bytesIn += fromClient;
        bytesOut += toClient;
        if (meters != null) {
            meters.tunnelClosed(outcome);
        }
        endSpan();
        observer.finished(this);
    }

    private void endSpan() {
        if (span != null) {
            RouteMeters m = meters;
            Tracing.end(span, method, m == null ? null : m.route(),
                    m == null || RouteMeters.NONE.equals(m.service()) ? null : m.service(), target, status, retries, requestId);
        }
    }

    /** The access log's keys, each with the comma before it ({@link JsonLine#key}). */
    private static final byte[] TIME = "{\"time\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_ID = JsonLine.key("request_id");
    private static final byte[] TRACE_ID = JsonLine.key("trace_id");
    private static final byte[] CLIENT = JsonLine.key("client");
    private static final byte[] PEER = JsonLine.key("peer");
    private static final byte[] METHOD = JsonLine.key("method");
    private static final byte[] PROTOCOL = JsonLine.key("protocol");
    private static final byte[] PATH = JsonLine.key("path");
    private static final byte[] ROUTE = JsonLine.key("route");
    private static final byte[] SERVICE = JsonLine.key("service");
    private static final byte[] TARGET = JsonLine.key("target");
    private static final byte[] STATUS = JsonLine.key("status");
    private static final byte[] BYTES_IN = JsonLine.key("bytes_in");
    private static final byte[] BYTES_OUT = JsonLine.key("bytes_out");
    private static final byte[] LATENCY_MS = JsonLine.key("latency_ms");
    private static final byte[] UPSTREAM_LATENCY_MS = JsonLine.key("upstream_latency_ms");
    private static final byte[] RETRIES = JsonLine.key("retries");
    private static final byte[] CONSUMER = JsonLine.key("consumer");
    private static final byte[] TLS_VERSION = JsonLine.key("tls_version");
    private static final byte[] SNI = JsonLine.key("sni");
    private static final byte[] TUNNEL_OUTCOME = JsonLine.key("tunnel_outcome");
    private static final byte[] TUNNEL_DURATION_MS = JsonLine.key("tunnel_duration_ms");

    /** The access-log line (without the newline), formatted by the event loop that finished the request. */
    void appendJson(JsonLine b) {
        RouteMeters m = meters;
        b.raw(TIME).time(WallClock.millisAt(startNanos));
        b.field(REQUEST_ID, requestId);
        if (span != null) {
            b.field(TRACE_ID, span.getSpanContext().getTraceId());
        }
        if (client == null) {
            b.nullField(CLIENT);
        } else {
            b.addressField(CLIENT, client.ip(), client.port());
        }
        b.field(PEER, client == null ? null : client.trustedPeer());
        b.field(METHOD, method);
        b.field(PROTOCOL, protocol);
        b.field(PATH, observer.redaction().apply(uri));
        b.field(ROUTE, m == null ? null : m.route());
        b.field(SERVICE, m == null || RouteMeters.NONE.equals(m.service()) ? null : m.service());
        b.field(TARGET, target);
        b.field(STATUS, status);
        b.field(BYTES_IN, bytesIn);
        b.field(BYTES_OUT, bytesOut);
        b.millisField(LATENCY_MS, latencyNanos);
        if (upstreamNanos < 0) {
            b.nullField(UPSTREAM_LATENCY_MS);
        } else {
            b.millisField(UPSTREAM_LATENCY_MS, upstreamNanos);
        }
        b.field(RETRIES, retries);
        b.field(CONSUMER, consumer);
        b.field(TLS_VERSION, tls == null ? null : tls.protocol());
        b.field(SNI, tls == null ? null : tls.sni());
        if (tunnelOutcome != null) {
            b.field(TUNNEL_OUTCOME, tunnelOutcome.tag);
            b.millisField(TUNNEL_DURATION_MS, tunnelNanos);
        }
        b.ascii('}');
    }
}
