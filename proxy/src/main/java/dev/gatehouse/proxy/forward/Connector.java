package dev.gatehouse.proxy.forward;

import io.netty.channel.Channel;

/**
 * How the attempts of one event loop reach targets of one wire protocol: the HTTP/1.1
 * keep-alive pool ({@link UpstreamPool}) or the multiplexed HTTP/2 pool ({@link Http2Pool}),
 * picked by the service's protocol ({@link UpstreamPool#connector}). Either way an attempt gets a
 * channel that speaks Netty's {@code HttpObject}s and ends with an {@link UpstreamHandler}: a whole
 * connection for HTTP/1.1, one stream of a shared connection for HTTP/2. So
 * {@link UpstreamAttempt} and {@link Exchange} are the same code for both; the protocol
 * difference lives behind this interface. Every method runs on the pool's event loop.
 */
interface Connector {
    /**
     * Gets {@code attempt} a channel to its peer: answers {@link UpstreamAttempt#opened} once,
     * at once when one is ready (an idle HTTP/1.1 connection, a stream on an HTTP/2 connection
     * with room) or later, after a connect. A failure means nothing of the request was sent.
     *
     * @param tls           reach the target over TLS
     * @param connectMillis the time a new connection may take (TCP, TLS and, for HTTP/2, the
     *                      target's first SETTINGS)
     */
    void open(UpstreamAttempt attempt, boolean tls, long connectMillis);

    /**
     * Ends an attempt's use of {@code ch}. HTTP/1.1: back to the pool when {@code reuse} (the
     * exchange completed cleanly on it), else closed, so a half-sent request never reaches a
     * target as complete and a half-read response is never taken by the next request. HTTP/2:
     * the stream is closed (reset when unfinished); the connection stays.
     */
    default void release(Channel ch, boolean reuse) {
        release(ch, reuse, System.nanoTime());
    }

    /** {@link #release(Channel, boolean)} at {@code now} ({@link System#nanoTime}): a channel kept is idle from then. */
    void release(Channel ch, boolean reuse, long now);

    /** {@code ch}, keyed {@code key}, closed while no attempt held it. */
    void forget(String key, Channel ch);
}
