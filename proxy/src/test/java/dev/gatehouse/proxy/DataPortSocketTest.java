package dev.gatehouse.proxy;

import dev.gatehouse.proxy.tls.Listener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The socket a data port accepts, read back from the kernel: {@code TCP_NODELAY} is on (a small
 * response leaves at once instead of waiting for the client's ACK of the previous segment) and the
 * connection's local address is the port's. {@link DataPort} does not set {@code TCP_NODELAY}
 * itself (each transport's socket config turns it on when it is made; setting it again cost a
 * system call per connection): this test is what holds it on, on the transport the proxy picks
 * here (epoll on Linux), on NIO and on io_uring where it runs.
 */
class DataPortSocketTest {

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"AUTO", "NIO", "IO_URING"})
    void anAcceptedSocketHasNoDelay(TransportChoice choice) throws Exception {
        assertAcceptedSocket(Fixtures.available(choice));
    }

    private static void assertAcceptedSocket(Transport transport) throws Exception {
        EventLoopGroup group = transport.newGroup(1, "data-port-socket-test");
        CompletableFuture<Boolean> noDelay = new CompletableFuture<>();
        CompletableFuture<InetSocketAddress> local = new CompletableFuture<>();
        ChannelInitializer<Channel> recorder = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                // a getsockopt on the accepted socket (epoll, NIO), not a value Netty remembers
                noDelay.complete(ch.config().getOption(ChannelOption.TCP_NODELAY));
                local.complete((InetSocketAddress) ch.localAddress());
                ch.close();
            }
        };
        DataPort port = new DataPort("http", "127.0.0.1", 0, 1, Listener.cleartext(0), transport, group, recorder);
        try {
            port.bind(1);
            port.accept(1);
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", port.port()), 2_000);
                assertThat(noDelay.get(5, TimeUnit.SECONDS)).as(transport.name() + ": TCP_NODELAY of the accepted socket").isTrue();
                InetSocketAddress accepted = local.get(5, TimeUnit.SECONDS);
                assertThat(accepted.getPort()).as("the accepted connection's local port").isEqualTo(port.port());
                assertThat(accepted.getAddress().getHostAddress()).endsWith("127.0.0.1");
            }
        } finally {
            port.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
