package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** When the TLS port opens (first snapshot; in local mode the first with a certificate) and that the drain closes it too. */
class TlsPortTest extends OneProxy {
    private static Snapshot snapshot(long version, int port, dev.gatehouse.config.Certificate... certs) {
        return new Snapshot(version, List.of(service("default/s", "default/u")), List.of(route("default/r", "default/s").build()),
                List.of(upstream("default/u", port)), List.of(), List.of(certs));
    }

    @Test
    void inLocalModeTheTlsPortOpensWithTheFirstSnapshotHoldingACertificate() throws Exception {
        TestCerts ca = new TestCerts("port-ca");
        Backend backend = stopAfter(new Backend("b"));
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0).withAlwaysOpen(false)));
        assertThat(proxy.apply(snapshot(1, backend.port()))).isEmpty();
        assertThat(proxy.listening()).isTrue();
        assertThat(proxy.tlsListening()).as("no certificate yet").isFalse();
        assertThat(proxy.describeTls().get("provider")).as("auto is resolved when a certificate comes, not before")
                .isEqualTo("auto");
        assertThat(proxy.apply(snapshot(2, backend.port(), ca.leaf("a", "a.test").certificate("default/a", "a.test")))).isEmpty();
        assertThat(proxy.tlsListening()).isTrue();
        assertThat(proxy.describeTls().get("provider")).isIn("openssl", "jdk");
        try (TestClient c = new TestClient(TlsClient.connect(ca.clientContext(), proxy.tlsPort(), "a.test"))) {
            c.write("GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
        }
        // the certificates go: the port stays open, and a handshake is refused for want of one
        assertThat(proxy.apply(snapshot(3, backend.port()))).isEmpty();
        assertThat(HexFormat.of().formatHex(TlsClient.rawHello(proxy.tlsPort(), 0x0303, "a.test"))).isEqualTo("15030300020270");
    }

    @Test
    void theProxyOpensItWithTheFirstSnapshotEvenWithoutCertificates() throws InterruptedException {
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)));
        assertThat(proxy.tlsListening()).isFalse();
        assertThat(proxy.apply(snapshot(1, 9))).isEmpty();
        assertThat(proxy.tlsListening()).isTrue();
        // the port opens with the first snapshot: auto is resolved from the start, on a thread of its own
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ("auto".equals(proxy.describeTls().get("provider")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(proxy.describeTls().get("provider")).isIn("openssl", "jdk");
    }

    @Test
    void theDrainStopsAcceptingOnBothPortsAndFinishesTheTlsRequestInFlight() throws Exception {
        TestCerts ca = new TestCerts("drain-ca");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch arrived = new CountDownLatch(1);
        Backend backend = stopAfter(new Backend("slow", (ex, seen) -> {
            arrived.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, seen);
        }));
        proxy = ProxyServer.start(Fixtures.config().withDrain(Duration.ZERO, Duration.ofSeconds(10)).withTls(TlsConfig.on(0)));
        assertThat(proxy.apply(snapshot(1, backend.port(), ca.leaf("a", "a.test").fallback("default/a")))).isEmpty();
        int cleartext = proxy.port();
        int tls = proxy.tlsPort();
        try (TestClient c = new TestClient(TlsClient.connect(ca.clientContext(), tls, "a.test"))) {
            c.write("GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertThat(arrived.await(5, TimeUnit.SECONDS)).isTrue();
            Thread closer = new Thread(proxy::close);
            closer.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!proxy.drainPhase().equals("finishing") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(proxy.drainPhase()).isEqualTo("finishing");
            for (int port : new int[]{cleartext, tls}) {
                assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).as("port %d", port)
                        .isInstanceOf(ConnectException.class);
            }
            release.countDown();
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("connection")).isEqualTo("close");
            closer.join(15_000);
        }
        proxy = null;
    }
}
