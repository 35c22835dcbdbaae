package dev.gatehouse.proxy;

import dev.gatehouse.config.Upstream;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code --transport}: each transport this host can run serves keep-alive requests through to
 * both targets (client and upstream channels of that transport on the same loops); {@code auto}
 * is epoll where epoll loads; a name that is no transport is refused with the accepted ones.
 * The socket tests of the io_uring execution (proxy/pom.xml) cover the rest on io_uring.
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
    void autoIsEpollWhereEpollLoads() {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        Transport auto = Transport.of(TransportChoice.AUTO);
        assertThat(auto.name()).isEqualTo("epoll");
        assertThat(auto.reason()).isEqualTo("auto: epoll is available");
        assertThat(Transport.best().name()).as("the status server and health checks").isEqualTo("epoll");
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
