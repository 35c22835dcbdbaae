package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.Http2Config;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;

import static java.util.Objects.requireNonNull;

/**
 * HTTP/2 towards clients, one per proxy: {@link #addHandlers} turns a client connection into an
 * HTTP/2 one, whether it came as h2c with prior knowledge on the cleartext port or by ALPN
 * {@code h2} on the TLS port. The pipeline:
 *
 * <pre>
 * idle ({@link ClientIdle}) → h2-guard ({@link Http2FrameGuard}) → h2 ({@link Http2ClientConnection}, Netty's Http2ConnectionHandler)
 *   its frame listener ({@link Http2Streams}) runs one {@link Http2ServerStream} per stream: no channel, no pipeline per stream
 * </pre>
 *
 * <p>The codec's defences are on: SETTINGS_MAX_CONCURRENT_STREAMS (streams beyond it are
 * refused), SETTINGS_MAX_HEADER_LIST_SIZE (the HTTP/1.1 header block limit; a header block
 * past 1.25 times it, HEADERS and CONTINUATION frames together, closes the connection before
 * it is buffered), a cap on RST_STREAM frames received per window (rapid reset,
 * CVE-2023-44487) and sent, on queued control frames and on empty DATA frames; header
 * validation (connection-specific fields, pseudo-headers) answers RST_STREAM PROTOCOL_ERROR.
 * {@link Http2FrameGuard} adds what the codec lacks: a cap on empty CONTINUATION frames.
 *
 * <p>One flush per connection per event-loop turn, whatever the number of streams that answered
 * in it ({@link Http2ClientConnection#flushSoon}): a stream's response mostly completes in its
 * upstream connection's read, outside the client connection's own read; flushed per stream, that
 * is one pass of the flow controller, one TLS record and one {@code write} each. Consolidated,
 * the streams' frames of one turn leave together, after the turn's reads: fewer system calls,
 * and over TLS fewer, fuller records (docs/benchmarks.md, "TLS and HTTP/2: before and after").
 */
public final class Http2Front {
    /**
     * How long the codec lets streams finish after a connection error it answered with GOAWAY: not
     * at all (the client broke the protocol). The drain waits for streams itself before it closes.
     */
    private static final long GRACEFUL_SHUTDOWN_MILLIS = 0;
    private static final AsciiString SET_COOKIE = AsciiString.cached("set-cookie");
    /**
     * The response fields HPACK never puts in the connection's dynamic table (RFC 7541 §6.2.3,
     * "never indexed"): {@code x-request-id}, a new value on every response, which indexed costs
     * an insertion and an eviction per response and pushes out the entries that do repeat
     * (content-type, server, via: those stay indexed, one byte each from the second response on);
     * and {@code set-cookie}, a secret that must not be guessable through compression (RFC 7541
     * §7.1.3).
     */
    static final Http2HeadersEncoder.SensitivityDetector NEVER_INDEXED = (name, value) ->
            AsciiString.contentEqualsIgnoreCase(name, ProxyHeaders.X_REQUEST_ID) || AsciiString.contentEqualsIgnoreCase(name, SET_COOKIE);

    private final DataPlane plane;
    private final RequestObserver observer;
    private final ClientLimits limits;
    private final Http2Config config;
    private final EdgeMeters edge;
    private final TrustedProxies trustedProxies;
    private final Http2FrameEvents events;

    public Http2Front(DataPlane plane, RequestObserver observer, ClientLimits limits, Http2Config config, EdgeMeters edge,
                      TrustedProxies trustedProxies) {
        this.plane = requireNonNull(plane, "plane");
        this.observer = requireNonNull(observer, "observer");
        this.limits = requireNonNull(limits, "limits");
        this.config = requireNonNull(config, "config");
        this.edge = requireNonNull(edge, "edge");
        this.trustedProxies = requireNonNull(trustedProxies, "trustedProxies");
        this.events = new Http2FrameEvents(edge);
    }

    /**
     * Adds the HTTP/2 handlers at the end of {@code ch}'s pipeline and lets the connection read
     * freely (flow control holds each stream back: its body goes on when its exchange asks).
     * Call on {@code ch}'s event loop, with the client's first bytes (the preface) not yet passed on.
     *
     * @param pool the upstream pool of {@code ch}'s event loop
     */
    public void addHandlers(Channel ch, UpstreamPool pool) {
        Http2Settings settings = new Http2Settings()
                .maxConcurrentStreams(config.maxConcurrentStreams())
                .initialWindowSize(config.initialWindowSize())
                .maxHeaderListSize(limits.maxHeaderSize());
        Http2ClientConnection connection = new Http2ClientConnection.Builder(this, pool)
                .settings(settings)
                .defences(config.maxRstFramesPerWindow(), config.rstWindowSeconds(), NEVER_INDEXED, events,
                        GRACEFUL_SHUTDOWN_MILLIS)
                .build();
        ch.pipeline()
                .addLast("h2-guard", new Http2FrameGuard(connection))
                .addLast("h2", connection);
        ch.config().setAutoRead(true);
    }

    DataPlane plane() {
        return plane;
    }

    RequestObserver observer() {
        return observer;
    }

    ClientLimits limits() {
        return limits;
    }

    Http2Config config() {
        return config;
    }

    EdgeMeters edge() {
        return edge;
    }

    TrustedProxies trustedProxies() {
        return trustedProxies;
    }
}
