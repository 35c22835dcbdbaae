package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.FirstSnapshotTest.refuses;
import static dev.gatehouse.proxy.FirstSnapshotTest.reserveFreePort;
import static dev.gatehouse.proxy.FirstSnapshotTest.toBackend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ProxyServer#bindPort()} and {@link ProxyServer#bindTlsPort()}: the port is the proxy's
 * from the bind on (nobody else can bind it), a connection made before the first snapshot is
 * taken by the kernel but answered nothing until that snapshot is applied, and then by it, never
 * from an empty config; {@code /readyz} says it waits meanwhile. A port another process holds
 * fails the bind for good, as it fails a first apply.
 */
class BindAheadTest extends ProxyTestBase {
    /** How long a connection made before the first snapshot is watched for an answer that must not come. */
    private static final int SILENCE_MILLIS = 300;

    @Test
    void aPortBoundAheadAnswersNothingUntilTheFirstSnapshotThenServesTheConnectionThatWaited() throws Exception {
        Backend blue = backend("blue");
        int port = reserveFreePort();
        proxy = ProxyServer.start(Fixtures.config().withPort(port));
        CompletableFuture<InetSocketAddress> opened = proxy.whenListening();
        try (StatusServer status = StatusServer.start("127.0.0.1", 0, proxy)) {
            proxy.bindPort();

            assertThat(proxy.port()).isEqualTo(port);
            assertThatThrownBy(() -> new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close())
                    .as("the port is held from the bind on").isInstanceOf(BindException.class);
            assertThat(proxy.listening()).isFalse();
            assertThat(opened).isNotDone();
            TestClient.Response waiting = TestClient.get(status.port(), "/readyz");
            assertThat(waiting.status()).isEqualTo(503);
            assertThat(waiting.body().trim()).isEqualTo("waiting for the first snapshot");
            try (TestClient early = new TestClient(port)) {
                early.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                early.socket().setSoTimeout(SILENCE_MILLIS);
                assertThatThrownBy(() -> early.read(false)).as("no answer before the first snapshot")
                        .isInstanceOf(SocketTimeoutException.class);
                early.socket().setSoTimeout(10_000);

                assertThat(proxy.apply(toBackend(1, blue.port()))).isEmpty();

                TestClient.Response served = early.read(false);
                assertThat(served.status()).as("the connection that waited, served by the first snapshot").isEqualTo(200);
                assertThat(served.header("x-backend")).isEqualTo("blue");
            }
            assertThat(opened.get(5, TimeUnit.SECONDS).getPort()).isEqualTo(port);
            assertThat(TestClient.get(status.port(), "/readyz").status()).isEqualTo(200);
        }
    }

    @Test
    void aPortInUseFailsTheBindAheadForGoodNamingAddressAndPort() throws Exception {
        Backend blue = backend("blue");
        try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = holder.getLocalPort();
            proxy = ProxyServer.start(Fixtures.config().withPort(port));
            try (StatusServer status = StatusServer.start("127.0.0.1", 0, proxy)) {
                assertThatThrownBy(proxy::bindPort).isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("cannot listen on 127.0.0.1:" + port + ": ")
                        .hasMessageContaining("free the port or choose another one");
                assertThat(TestClient.get(status.port(), "/readyz").body()).startsWith("cannot listen on 127.0.0.1:" + port + ": ");
                assertThatThrownBy(() -> proxy.apply(toBackend(1, blue.port()))).as("final: the first apply throws it again")
                        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("cannot listen on 127.0.0.1:" + port);
                assertThat(proxy.current()).isEqualTo(Snapshot.EMPTY);
            }
        }
    }

    @Test
    void aPortIsBoundAheadOnceAndOnlyWhenTheProxyHasIt() throws Exception {
        proxy = ProxyServer.start(Fixtures.config());
        assertThatThrownBy(proxy::bindTlsPort).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the proxy has no TLS port");
        proxy.bindPort();
        assertThatThrownBy(proxy::bindPort).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the http port is bound already");
    }

    /** Bound ahead, the TLS port accepts with the first snapshot, which need not hold a certificate. */
    @Test
    void aTlsPortBoundAheadAcceptsWithTheFirstSnapshot() throws Exception {
        int tlsPort = reserveFreePort();
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(tlsPort).withAlwaysOpen(false)));
        proxy.bindPort();
        proxy.bindTlsPort();
        assertThat(proxy.tlsPort()).isEqualTo(tlsPort);
        assertThat(proxy.tlsListening()).isFalse();

        assertThat(proxy.apply(new Snapshot(1, List.of(), List.of(), List.of(), List.of()))).isEmpty();

        assertThat(proxy.tlsListening()).isTrue();
        assertThat(refuses(tlsPort)).isFalse();
    }

    /** An endpoint delta before the first snapshot is applied whole, and opens a port bound ahead. */
    @Test
    void anEndpointDeltaBeforeTheFirstSnapshotOpensAPortBoundAhead() throws Exception {
        Backend blue = backend("blue");
        proxy = ProxyServer.start(Fixtures.config());
        proxy.bindPort();
        Snapshot first = toBackend(1, blue.port());

        assertThat(proxy.applyEndpoints(first, "hash-of-1", List.of("default/u"))).isEmpty();

        assertThat(proxy.listening()).isTrue();
        assertThat(TestClient.get(proxy.port(), "/").header("x-backend")).isEqualTo("blue");
    }

    @Test
    void closedBeforeAnySnapshotAPortBoundAheadIsReleased() throws Exception {
        int port = reserveFreePort();
        ProxyServer p = ProxyServer.start(Fixtures.config().withPort(port));
        CompletableFuture<InetSocketAddress> opened = p.whenListening();
        p.bindPort();
        p.close();
        assertThat(opened).isCancelled();
        assertThat(refuses(port)).isTrue();
        assertThatThrownBy(p::bindPort).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("the proxy is closing");
    }
}
