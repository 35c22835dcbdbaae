package dev.gatehouse.proxy.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;

/**
 * A client connection's idle handler, first in its pipeline and so below the TLS handler, which can
 * also hold back one flush: a TLS connection that closes after its response gives the socket the
 * response's last records and the {@code close_notify} alert in one write ({@link ClientHandler}),
 * where it took two (two {@code sendto} on epoll; on io_uring two sends, one ring round trip after
 * the other, as the transport keeps one write in flight per channel). docs/decisions.md, "A new
 * TLS connection on io_uring".
 */
public final class ClientIdle extends IdleStateHandler {
    private boolean holding;

    public ClientIdle(long idleMillis) {
        super(0, 0, idleMillis, TimeUnit.MILLISECONDS);
    }

    /** The next flush stops here, until {@link #release}: what it flushed leaves with the flush after it. */
    void hold() {
        holding = true;
    }

    void release() {
        holding = false;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (!holding) {
            ctx.flush();
        }
    }
}
