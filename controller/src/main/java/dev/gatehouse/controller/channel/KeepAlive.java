package dev.gatehouse.controller.channel;

import java.time.Duration;

/**
 * Ping/pong keep-alive (RFC 6455 §5.5.2-3): ping a proxy when nothing was written to it for
 * {@code ping}; close the connection when nothing at all was read from it for {@code idle}
 * (a live proxy answers every ping with a pong, so {@code idle} should be a few pings long).
 */
record KeepAlive(Duration ping, Duration idle) {
    static final KeepAlive DEFAULT = new KeepAlive(Duration.ofSeconds(ChannelServer.PING_SECONDS),
            Duration.ofSeconds(ChannelServer.IDLE_SECONDS));

    KeepAlive {
        if (ping.isNegative() || ping.isZero() || idle.compareTo(ping) <= 0) {
            throw new IllegalArgumentException("ping, idle: " + ping + ", " + idle + " (expected: 0 < ping < idle)");
        }
    }
}
