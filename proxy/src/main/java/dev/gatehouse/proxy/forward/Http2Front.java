package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.Http2Config;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AsciiString;

import static java.util.Objects.requireNonNull;

/**
 * HTTP/2 towards clients, one per proxy: {@link #addHandlers} turns a client connection into an
 * HTTP/2 one, whether it came as h2c with prior knowledge on the cleartext port or by ALPN
 * {@code h2} on the TLS port. The pipeline:
 *
 * <pre>
 * idle (IdleStateHandler) → h2-guard ({@link Http2FrameGuard}) → h2 (Http2FrameCodec) → h2-flush (FlushConsolidationHandler)
 *   → h2-streams (Http2MultiplexHandler) → h2-connection ({@link Http2ClientConnection})
 *   each stream, a child channel on the connection's event loop, AUTO_READ off, its idle timeout kept by
 *   its handlers ({@link Http2StreamIdle}):
 *   h2-http (Http2StreamFrameToHttpObjectCodec) → h2-writes ({@link Http2ResponseWrites}) → h2-stream ({@link Http2StreamHandler})
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
 * in it ({@code h2-flush}): a stream's response mostly completes in its upstream connection's read,
 * outside the client connection's own read, where Netty's multiplexer would flush the connection
 * once per stream: one pass of the flow controller, one TLS record and one {@code write} each.
 * Consolidated, the streams' frames of one turn leave together, after the turn's reads (the
 * handler's task runs before the loop waits again; a turn with more flushes than the connection
 * may have streams flushes early): fewer system calls, and over TLS fewer,
 * fuller records (docs/benchmarks.md, "TLS and HTTP/2: before and after").
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
    /** Sharable: it keeps no state of a stream. */
    private final Http2StreamFrameToHttpObjectCodec httpCodec = new Http2StreamFrameToHttpObjectCodec(true, true);

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
     * freely (its streams are read only when their exchanges ask). Call on {@code ch}'s event
     * loop, with the client's first bytes (the preface) not yet passed on.
     *
     * @param pool the upstream pool of {@code ch}'s event loop
     */
    public void addHandlers(Channel ch, UpstreamPool pool) {
        Http2Settings settings = new Http2Settings()
                .maxConcurrentStreams(config.maxConcurrentStreams())
                .initialWindowSize(config.initialWindowSize())
                .maxHeaderListSize(limits.maxHeaderSize());
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .validateHeaders(true)
                .headerSensitivityDetector(NEVER_INDEXED)
                .decoderEnforceMaxRstFramesPerWindow(config.maxRstFramesPerWindow(), config.rstWindowSeconds())
                .encoderEnforceMaxRstFramesPerWindow(config.maxRstFramesPerWindow(), config.rstWindowSeconds())
                // Channel.close() closes: GOAWAY is sent by Http2ClientConnection when it means it (drain, idle)
                .decoupleCloseAndGoAway(true)
                .gracefulShutdownTimeoutMillis(GRACEFUL_SHUTDOWN_MILLIS)
                .frameLogger(events)
                .build();
        Http2ClientConnection connection = new Http2ClientConnection(this, pool);
        ch.pipeline()
                .addLast("h2-guard", new Http2FrameGuard(codec))
                .addLast("h2", codec)
                .addLast("h2-flush", new FlushConsolidationHandler(config.maxConcurrentStreams(), true))
                .addLast("h2-streams", new Http2MultiplexHandler(connection.streamInitializer()))
                .addLast("h2-connection", connection);
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

    Http2StreamFrameToHttpObjectCodec httpCodec() {
        return httpCodec;
    }
}
