package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No traffic before config: the data port is closed until the first snapshot is applied, and
 * {@code /readyz} says why. Since an unbound port has no number, each test reserves a free one
 * (bind 0, read, close) and configures the proxy with it.
 */
class FirstSnapshotTest extends ProxyTestBase {

    static int reserveFreePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The status server on a port of its own other than {@code dataPort}: bound to port 0, it could be
     * handed the data port, free until the first snapshot opens it, and answer where the data port must refuse.
     */
    static StatusServer statusBeside(int dataPort, ProxyServer proxy) throws Exception {
        int statusPort;
        do {
            statusPort = reserveFreePort();
        } while (statusPort == dataPort);
        return StatusServer.start("127.0.0.1", statusPort, proxy);
    }

    static boolean refuses(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    static Snapshot toBackend(long version, int backendPort) {
        return Fixtures.snapshot(version, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/").build()), List.of(upstream("default/u", backendPort)), List.of());
    }

    @Test
    void thePortOpensWithTheFirstSnapshotAndReadyzSaysWhyUntilThen() throws Exception {
        Backend blue = backend("blue");
        int port = reserveFreePort();
        proxy = ProxyServer.start(Fixtures.config().withPort(port));
        try (StatusServer status = statusBeside(port, proxy)) {
            assertThat(refuses(port)).as("the data port before any snapshot").isTrue();
            assertThat(proxy.listening()).isFalse();
            assertThatThrownBy(proxy::port).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not listen on 127.0.0.1:" + port + " yet");
            TestClient.Response waiting = TestClient.get(status.port(), "/readyz");
            assertThat(waiting.status()).isEqualTo(503);
            assertThat(waiting.body().trim()).isEqualTo("waiting for the first snapshot");
            assertThat(TestClient.get(status.port(), "/status").body()).contains("\"listening\" : false");
            CompletableFuture<InetSocketAddress> opened = proxy.whenListening();
            assertThat(opened).isNotDone();

            assertThat(proxy.apply(toBackend(1, blue.port()))).isEmpty();

            assertThat(proxy.port()).isEqualTo(port);
            assertThat(proxy.listening()).isTrue();
            assertThat(opened.get(5, TimeUnit.SECONDS).getPort()).isEqualTo(port);
            TestClient.Response routed = TestClient.get(port, "/x");
            assertThat(routed.status()).isEqualTo(200);
            assertThat(routed.header("x-backend")).isEqualTo("blue");
            TestClient.Response ready = TestClient.get(status.port(), "/readyz");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.body().trim()).isEqualTo("ready");
            assertThat(TestClient.get(status.port(), "/status").body()).contains("\"listening\" : true");
        }
    }

    @Test
    void aRefusedFirstSnapshotLeavesThePortClosed() throws Exception {
        Backend blue = backend("blue");
        int port = reserveFreePort();
        proxy = ProxyServer.start(Fixtures.config().withPort(port));
        try (StatusServer status = statusBeside(port, proxy)) {
            Snapshot bad = Fixtures.snapshot(1, List.of(service("default/s", "default/missing")),
                    List.of(route("default/r", "default/s").paths("/").build()), List.of(upstream("default/u", blue.port())), List.of());
            assertThat(proxy.apply(bad)).isNotEmpty();
            assertThat(refuses(port)).as("the data port after a refused first snapshot").isTrue();
            assertThat(TestClient.get(status.port(), "/readyz").body().trim()).isEqualTo("waiting for the first snapshot");

            assertThat(proxy.apply(toBackend(2, blue.port()))).isEmpty();
            assertThat(TestClient.get(port, "/").header("x-backend")).isEqualTo("blue");
        }
    }

    /** Applied is applied: a snapshot without routes opens the port, answers 404 and is ready. */
    @Test
    void anEmptyFirstSnapshotOpensThePortAndIsReady() throws Exception {
        int port = reserveFreePort();
        proxy = ProxyServer.start(Fixtures.config().withPort(port));
        try (StatusServer status = statusBeside(port, proxy)) {
            assertThat(proxy.apply(new Snapshot(3, List.of(), List.of(), List.of(), List.of()))).isEmpty();
            TestClient.Response none = TestClient.get(port, "/");
            assertThat(none.status()).as("no routes: the proxy's own 404").isEqualTo(404);
            assertThat(none.body()).contains("no Route matched");
            TestClient.Response readyz = TestClient.get(status.port(), "/readyz");
            assertThat(readyz.status()).isEqualTo(200);
            assertThat(readyz.body().trim()).isEqualTo("ready");
        }
    }

    /**
     * The race a script runs: a client spins on connect while the snapshot is applied, and sends
     * its request the instant the port accepts. The answer comes from the route, never a 404.
     */
    @Test
    void theVeryFirstConnectionIsServedByTheFirstSnapshot() throws Exception {
        Backend blue = backend("blue");
        for (int round = 1; round <= 5; round++) {
            int port = reserveFreePort();
            ProxyServer p = ProxyServer.start(Fixtures.config().withPort(port));
            try {
                CompletableFuture<TestClient.Response> first = CompletableFuture.supplyAsync(() -> firstExchange(port));
                assertThat(p.apply(toBackend(1, blue.port()))).isEmpty();
                TestClient.Response r = first.get(10, TimeUnit.SECONDS);
                assertThat(r.status()).as("round %d", round).isEqualTo(200);
                assertThat(r.header("x-backend")).isEqualTo("blue");
            } finally {
                p.close();
            }
        }
    }

    private static TestClient.Response firstExchange(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            TestClient c;
            try {
                c = new TestClient(port);
            } catch (ConnectException refused) {
                continue;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            try (c) {
                c.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                return c.read(false);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("port " + port + " did not open within 10 s");
    }

    @Test
    void closeBeforeAnySnapshotNeverOpensThePort() throws Exception {
        int port = reserveFreePort();
        ProxyServer p = ProxyServer.start(Fixtures.config().withPort(port));
        CompletableFuture<InetSocketAddress> opened = p.whenListening();
        try (StatusServer status = statusBeside(port, p)) {
            p.close();
            assertThat(opened).isCancelled();
            assertThat(refuses(port)).isTrue();
            assertThat(TestClient.get(status.port(), "/readyz").body().trim()).isEqualTo("draining");
        }
    }

    @Test
    void aPortInUseFailsTheFirstApplyNamingAddressAndPortForGood() throws Exception {
        Backend blue = backend("blue");
        try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = holder.getLocalPort();
            proxy = ProxyServer.start(Fixtures.config().withPort(port));
            CompletableFuture<InetSocketAddress> opened = proxy.whenListening();
            try (StatusServer status = statusBeside(port, proxy)) {
                assertThatThrownBy(() -> proxy.apply(toBackend(1, blue.port())))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("cannot listen on 127.0.0.1:" + port + ": ")
                        .hasMessageContaining("free the port or choose another one");
                assertThat(proxy.current()).as("the snapshot is not applied").isEqualTo(Snapshot.EMPTY);
                assertThat(proxy.listening()).isFalse();
                assertThatThrownBy(() -> opened.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .cause().hasMessageStartingWith("cannot listen on 127.0.0.1:" + port);
                TestClient.Response readyz = TestClient.get(status.port(), "/readyz");
                assertThat(readyz.status()).isEqualTo(503);
                assertThat(readyz.body()).startsWith("cannot listen on 127.0.0.1:" + port + ": ");
                assertThatThrownBy(() -> proxy.apply(toBackend(2, blue.port()))).as("final: a later apply throws it again")
                        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("cannot listen on 127.0.0.1:" + port);
                assertThat(proxy.current()).isEqualTo(Snapshot.EMPTY);
            }
        }
    }

    @Test
    void aCallersFutureIsItsOwnAndCloseCancelsIt() throws Exception {
        proxy = ProxyServer.start(Fixtures.config());
        CompletableFuture<InetSocketAddress> opened = proxy.whenListening();
        opened.cancel(false);
        assertThat(proxy.whenListening()).as("a caller's future is its own").isNotDone();
        proxy.close();
        assertThatThrownBy(() -> proxy.whenListening().get(5, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        proxy = null;
    }
}
