package dev.gatehouse.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The listener's SYN filter as a client sees it: before it, a connect completes; after it, a new
 * connect gets no answer (no handshake, so nothing the close could reset), and once the listener
 * closes, the client's next try is refused, on epoll and on io_uring. A transport without socket
 * filters says so.
 */
class SynFilterTest {

    /** Both native transports pass the raw option to {@code setsockopt} on the listening socket. */
    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"EPOLL", "IO_URING"})
    void afterTheFilterANewConnectIsNotAnsweredAndAfterTheCloseItIsRefused(TransportChoice choice) throws Exception {
        TransportTest.assumeAvailable(choice);
        Transport transport = Transport.of(choice);
        EventLoopGroup group = transport.newGroup(1, "syn-filter-test");
        try {
            Channel listener = transport.serverBootstrap(group)
                    .childHandler(new ChannelInboundHandlerAdapter()).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            try (Socket before = new Socket()) {
                before.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                assertThat(before.isConnected()).isTrue();
            }

            assertThat(listener.eventLoop().submit(() -> SynFilter.attach(listener)).get(5, TimeUnit.SECONDS))
                    .as("attached").isNull();
            try (Socket after = new Socket()) {
                assertThatThrownBy(() -> after.connect(new InetSocketAddress("127.0.0.1", port), 300))
                        .as("the SYN is dropped: no handshake").isInstanceOf(SocketTimeoutException.class);
            }

            listener.close().sync();
            try (Socket closed = new Socket()) {
                assertThatThrownBy(() -> closed.connect(new InetSocketAddress("127.0.0.1", port), 2_000))
                        .isInstanceOf(ConnectException.class);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aTransportWithoutSocketFiltersSaysWhy() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter()).bind("127.0.0.1", 0).sync().channel();
            assertThat(SynFilter.attach(listener)).contains("NioServerSocketChannel").contains("no socket filters");
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
