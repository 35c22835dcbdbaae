package dev.gatehouse.proxy;

/**
 * HTTP/2 towards clients: h2c with prior knowledge on the cleartext port and {@code h2} by ALPN
 * on the TLS port (docs/proxy.md, "HTTP/2"). The header list limit is not here: it is the HTTP/1.1 header block limit
 * ({@link ClientLimits#maxHeaderSize()}), announced as {@code SETTINGS_MAX_HEADER_LIST_SIZE}.
 *
 * <pre>
 * limit                         default        flag                             answer
 * HTTP/2 (h2c and ALPN h2)      on             --http2                          off: the preface gets 505, ALPN offers http/1.1 only
 * concurrent streams            100            --http2-max-concurrent-streams   RST_STREAM REFUSED_STREAM
 * stream receive window         65535 bytes    --http2-initial-window-size      flow control (the client waits)
 * RST_STREAM frames received    200 per 30 s   (none)                           GOAWAY ENHANCE_YOUR_CALM, closed
 * </pre>
 *
 * <p>The connection's receive window is {@code maxConcurrentStreams × initialWindowSize}, so
 * streams whose target is slow (their window not returned) never block the others: what one
 * connection can make the proxy hold of request bodies is bounded by that product.
 *
 * @param enabled               HTTP/2 at all: h2c with prior knowledge on the cleartext port, {@code h2}
 *                              in the TLS port's ALPN list; off, both ports speak HTTP/1.1 only
 * @param maxConcurrentStreams  {@code SETTINGS_MAX_CONCURRENT_STREAMS}; a stream beyond it is refused
 * @param initialWindowSize     {@code SETTINGS_INITIAL_WINDOW_SIZE}: request body bytes a stream may
 *                              send before the proxy has passed them on to the target
 * @param maxRstFramesPerWindow RST_STREAM frames a client may send per {@code rstWindowSeconds}
 *                              (CVE-2023-44487, rapid reset); beyond it the connection is closed
 * @param rstWindowSeconds      the window of {@code maxRstFramesPerWindow}
 */
public record Http2Config(boolean enabled, int maxConcurrentStreams, int initialWindowSize, int maxRstFramesPerWindow,
                          int rstWindowSeconds) {
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
    /** The RFC 9113 default: a client needs no SETTINGS round trip to use it. */
    public static final int DEFAULT_INITIAL_WINDOW_SIZE = 65_535;
    public static final Http2Config DEFAULTS = new Http2Config(true, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_INITIAL_WINDOW_SIZE,
            200, 30);
    /** HTTP/1.1 only: the HTTP/2 preface is answered 505 as any unknown version, and ALPN offers no {@code h2}. */
    public static final Http2Config OFF = DEFAULTS.withEnabled(false);

    public Http2Config {
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams: " + maxConcurrentStreams + " (expected: >= 1)");
        }
        // RFC 9113 §6.5.2: at most 2^31-1; below 1024 every stream stalls on each round trip
        if (initialWindowSize < 1024) {
            throw new IllegalArgumentException("initialWindowSize: " + initialWindowSize + " (expected: 1024..2147483647)");
        }
        if (maxRstFramesPerWindow < 1) {
            throw new IllegalArgumentException("maxRstFramesPerWindow: " + maxRstFramesPerWindow + " (expected: >= 1)");
        }
        if (rstWindowSeconds < 1) {
            throw new IllegalArgumentException("rstWindowSeconds: " + rstWindowSeconds + " (expected: >= 1)");
        }
    }

    /** The connection's receive window: every stream's window at once, capped at 2^31-1 (RFC 9113 §6.9.1). */
    public int connectionWindowSize() {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxConcurrentStreams * initialWindowSize);
    }

    public Http2Config withEnabled(boolean on) {
        return new Http2Config(on, maxConcurrentStreams, initialWindowSize, maxRstFramesPerWindow, rstWindowSeconds);
    }

    public Http2Config withMaxConcurrentStreams(int n) {
        return new Http2Config(enabled, n, initialWindowSize, maxRstFramesPerWindow, rstWindowSeconds);
    }

    public Http2Config withInitialWindowSize(int bytes) {
        return new Http2Config(enabled, maxConcurrentStreams, bytes, maxRstFramesPerWindow, rstWindowSeconds);
    }

    public Http2Config withMaxRstFrames(int frames, int seconds) {
        return new Http2Config(enabled, maxConcurrentStreams, initialWindowSize, frames, seconds);
    }
}
