package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.Transport;
import dev.gatehouse.proxy.TransportChoice;
import dev.gatehouse.proxy.balance.Peer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sockets the proxy connects, read back from the kernel once connected: {@code TCP_NODELAY}
 * is on (a request head leaves at once instead of waiting for the ACK of the previous segment).
 * None of {@link UpstreamPool} (and the HTTP/2 pool, its bootstrap's clone), the health checker
 * or the channel client sets it: each transport's socket config turns it on when the channel is
 * made, and setting it again cost a system call per upstream connection. This test is what holds
 * it on: the pool's connection on the transport the proxy picks here (epoll on Linux), on NIO and
 * on io_uring where it runs, and a bootstrap with no options as the health checker (best
 * transport) and the channel client (NIO) make theirs.
 */
class UpstreamSocketTest {

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"AUTO", "NIO", "IO_URING"})
    void aPooledUpstreamConnectionHasNoDelay(TransportChoice choice) throws Exception {
        assertPoolConnection(Fixtures.available(choice));
    }

    @Test
    void aBootstrapWithoutOptionsHasNoDelayAsTheHealthCheckerAndChannelClientMakeThem() throws Exception {
        Transport best = Transport.best();
        assertConnected(best, best.socketChannel(), "health checker (" + best.name() + ")");
        assertConnected(Transport.of(TransportChoice.NIO), NioSocketChannel.class, "channel client (NIO)");
    }

    private static void assertPoolConnection(Transport transport) throws Exception {
        EventLoopGroup group = transport.newGroup(1, "upstream-socket-test");
        EventLoop loop = group.next();
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Peer peer = Peer.of(new Upstream.Target("127.0.0.1", target.getLocalPort(), Upstream.Target.DEFAULT_WEIGHT));
            UpstreamPool pool = loop.submit(() -> new UpstreamPool(loop, transport, null, null)).get(10, TimeUnit.SECONDS);
            try {
                Channel ch = loop.submit(() -> pool.connect(peer, false, 10_000)).get(10, TimeUnit.SECONDS)
                        .sync().channel();
                try (Socket accepted = target.accept()) {
                    assertNoDelay(ch, transport.name() + ": the pool's upstream connection");
                } finally {
                    ch.close().sync();
                }
            } finally {
                loop.submit(pool::close).get(10, TimeUnit.SECONDS);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static void assertConnected(Transport transport, Class<? extends Channel> channel, String who) throws Exception {
        EventLoopGroup group = transport.newGroup(1, "upstream-socket-test");
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Channel ch = new Bootstrap().group(group).channel(channel).handler(new ChannelInboundHandlerAdapter())
                    .connect(new InetSocketAddress("127.0.0.1", target.getLocalPort())).sync().channel();
            try (Socket accepted = target.accept()) {
                assertNoDelay(ch, who);
            } finally {
                ch.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** A getsockopt on the connected socket (epoll, NIO, io_uring), not a value Netty remembers. */
    private static void assertNoDelay(Channel ch, String what) {
        assertThat(ch.isActive()).as(what + " connected").isTrue();
        assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).as(what + ": TCP_NODELAY").isTrue();
        assertThat(((InetSocketAddress) ch.remoteAddress()).getAddress().getHostAddress()).endsWith("127.0.0.1");
    }
}
