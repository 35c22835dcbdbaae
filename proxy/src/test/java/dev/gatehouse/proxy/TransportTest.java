package dev.gatehouse.proxy;

import dev.gatehouse.config.Upstream;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code --transport}: each transport this host can run serves keep-alive requests through to
 * both targets (client and upstream channels of that transport on the same loops); {@code auto}
 * is io_uring where it runs, else epoll, else NIO; io_uring's stream channels read from the loop's
 * buffer ring; a name that is no transport is refused with the accepted ones. The socket tests of
 * the epoll execution (proxy/pom.xml) cover the rest on epoll.
 */
class TransportTest {

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"IO_URING", "EPOLL", "NIO"})
    void eachAvailableTransportServesKeepAliveRequestsOnBothTargets(TransportChoice choice) throws Exception {
        assumeAvailable(choice);
        try (Backend a = new Backend("a"); Backend b = new Backend("b")) {
            Upstream u = upstream("default/u", a.port(), b.port());
            ProxyServer proxy = ProxyServer.start(Fixtures.oneLoopConfig().withTransport(choice));
            try {
                assertThat(proxy.transport()).isEqualTo(choice.flag());
                assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", u.id())),
                        List.of(route("default/r", "default/s").paths("/").stripPath(false).build()), List.of(u), List.of())))
                        .isEmpty();
                try (TestClient client = new TestClient(proxy.port())) {
                    List<String> answeredBy = new java.util.ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        client.write("GET /t/" + i + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                        TestClient.Response r = client.read(false);
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.body()).isEqualTo("GET /t/" + i);
                        answeredBy.add(r.header("x-backend"));
                    }
                    assertThat(answeredBy).containsExactly("a", "b", "a", "b");
                }
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void autoIsIoUringWhereItRunsElseEpollElseNio() {
        Transport auto = Transport.of(TransportChoice.AUTO);
        String noIoUring = Transport.ioUringUnavailable();
        if (noIoUring == null) {
            assertThat(auto.name()).isEqualTo("io_uring");
            assertThat(auto.reason()).isEqualTo("auto: io_uring is available");
        } else if (Epoll.isAvailable()) {
            assertThat(auto.name()).isEqualTo("epoll");
            assertThat(auto.reason()).isEqualTo("auto: io_uring is not available (" + noIoUring + ")");
        } else {
            assertThat(auto.name()).isEqualTo("nio");
            assertThat(auto.reason()).startsWith("auto: io_uring is not available (" + noIoUring + "), nor epoll (");
        }
        assertThat(Transport.best().name()).as("the status server and health checks").isEqualTo(auto.name());
    }

    @Test
    void ioUringStreamChannelsReadFromTheLoopsBufferRingWithOneShotRecvs() {
        Transport ioUring = Fixtures.available(TransportChoice.IO_URING);
        EventLoopGroup group = new DefaultEventLoopGroup(1); // never started: the bootstraps only hold it
        try {
            assertThat(ioUring.readsFromRing()).isTrue();
            assertThat(ioUring.bootstrap(group).config().options())
                    .containsEntry(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, Transport.READ_RING);
            assertThat(ioUring.serverBootstrap(group).config().childOptions())
                    .containsEntry(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, Transport.READ_RING);
            assertThat(IoUring.isRecvMultishotEnabled()).as("multishot recv: a cancel per request with AUTO_READ off").isFalse();
            for (TransportChoice other : new TransportChoice[]{TransportChoice.EPOLL, TransportChoice.NIO}) {
                if (other == TransportChoice.EPOLL && !Epoll.isAvailable()) {
                    continue;
                }
                Transport t = Transport.of(other);
                assertThat(t.readsFromRing()).isFalse();
                assertThat(t.bootstrap(group).config().options()).doesNotContainKey(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID);
                assertThat(t.serverBootstrap(group).config().childOptions())
                        .doesNotContainKey(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID);
            }
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNameThatIsNoTransportIsRefusedWithTheAcceptedOnes() {
        assertThat(TransportChoice.parse("IO_URING")).isEqualTo(TransportChoice.IO_URING);
        assertThat(TransportChoice.parse("iouring")).isEqualTo(TransportChoice.IO_URING);
        assertThat(TransportChoice.parse(" Epoll ")).isEqualTo(TransportChoice.EPOLL);
        assertThatThrownBy(() -> TransportChoice.parse("kqueue")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("transport: kqueue (expected: auto, io_uring, epoll or nio)");
    }

    static void assumeAvailable(TransportChoice choice) {
        Fixtures.assumeAvailable(choice);
    }
}
