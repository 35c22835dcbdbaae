package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.tls.ClientTls;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What every client connection of one proxy reports its requests to: the meters of unmatched
 * requests and the access log (null when off). Shared by all event loops; holds no mutable state.
 */
public final class RequestObserver implements AutoCloseable {
    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    /** Null when tracing is off: then no span, no trace header touched, no {@code trace_id} in the log. */
    private final Tracing tracing;

    public RequestObserver(ProxyMetrics metrics, AccessLog accessLog) {
        this(metrics, accessLog, null);
    }

    /** @param tracing spans and trace context (null: off); closed with this observer */
    public RequestObserver(ProxyMetrics metrics, AccessLog accessLog, Tracing tracing) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.tracing = tracing;
    }

    /**
     * Gives each event loop of {@code group} its own buffer of request-timer samples ({@link TimerSamples})
     * and its own access-log buffer (see {@link AccessLog}).
     */
    public void attach(io.netty.util.concurrent.EventExecutorGroup group) {
        metrics.attach(group);
        if (accessLog != null) {
            accessLog.attach(group);
        }
    }

    /**
     * A request head arrived: the record follows it to the end. Call on the event loop.
     *
     * @param client the request's client by the trusted-proxies rule (the access log's {@code client} and {@code peer})
     * @param tls    the connection's TLS handshake (the access log's {@code tls_version} and {@code sni}); null for cleartext
     */
    public RequestRecord begin(HttpRequest request, String requestId, ClientAddress client, ClientTls tls) {
        return begin(null, request, requestId, client, tls, System.nanoTime());
    }

    /**
     * {@link #begin(HttpRequest, String, ClientAddress, ClientTls)} into {@code previous}, the
     * record of the connection's previous request, when it is {@link RequestRecord#reusable} (finished,
     * no tunnel's, made by this observer); otherwise into a new record. {@code startNanos} is when the
     * request was received ({@link System#nanoTime}), the reading its exchange started with.
     */
    public RequestRecord begin(RequestRecord previous, HttpRequest request, String requestId, ClientAddress client,
                               ClientTls tls, long startNanos) {
        String method = request.method().name();
        RequestRecord r;
        if (previous != null && previous.observer() == this && previous.reusable()) {
            r = previous;
            r.reset(method, protocolOf(request), request.uri(), requestId, client, startNanos);
        } else {
            r = new RequestRecord(this, method, protocolOf(request), request.uri(), requestId, client, startNanos);
        }
        if (tls != null) {
            r.tls(tls);
        }
        if (tracing != null) {
            tracing.begin(r, method, request.headers());
        }
        return r;
    }

    /** An HTTP/2 stream's head carries version 2.0 ({@code Http2ServerStream}); the log says {@code HTTP/2} (RFC 9113). */
    private static String protocolOf(HttpRequest request) {
        return request.protocolVersion().majorVersion() == 2 ? "HTTP/2" : request.protocolVersion().text();
    }

    /**
     * The HTTP gate refused a request before it became an exchange (400, 405, 413, 414, 431,
     * 501, 505): counted with the unmatched requests and logged without method and path. Its
     * headers were not read, so {@code client} is the connection's peer.
     */
    public void refused(String requestId, ClientAddress client, int status, long bytesOut) {
        RequestRecord r = new RequestRecord(this, null, null, null, requestId, client);
        r.replied(status, bytesOut);
        r.finish(0);
    }

    /** What the access log writes for a request-target (key parameters redacted). */
    QueryRedaction redaction() {
        return metrics.redaction();
    }

    RouteMeters unmatched() {
        return metrics.unmatched();
    }

    void finished(RequestRecord record) {
        if (accessLog != null) {
            accessLog.offer(record);
        }
    }

    @Override
    public void close() {
        if (accessLog != null) {
            accessLog.close();
        }
        if (tracing != null) {
            tracing.close();
        }
    }
}
