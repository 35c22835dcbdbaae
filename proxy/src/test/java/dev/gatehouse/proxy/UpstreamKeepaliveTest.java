package dev.gatehouse.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link UpstreamKeepalive} on a running proxy, seen from the target: how many requests one
 * connection carries before the proxy closes it, and how long an unused one stays open.
 */
class UpstreamKeepaliveTest extends OneProxy {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final UpstreamConnectionCounts counts = new UpstreamConnectionCounts(registry);

    private RawBackend start(UpstreamKeepalive keepalive) throws Exception {
        RawBackend backend = rawBackend();
        // a path ending in /close is answered with Connection: close
        backend.responder(r -> ("HTTP/1.1 200 OK\r\n" + (r.path().endsWith("/close") ? "Connection: close\r\n" : "")
                + "Content-Length: 2\r\n\r\nok").getBytes(StandardCharsets.ISO_8859_1));
        proxy = ProxyServer.start(Fixtures.oneLoopConfig().withUpstreamKeepalive(keepalive), registry);
        routeEverythingTo(backend.port());
        return backend;
    }

    private double closed(String reason, int n) throws InterruptedException {
        return counts.closed(reason, n, Duration.ofSeconds(5));
    }

    @Test
    void aConnectionToATargetCarriesAtMostMaxRequests() throws Exception {
        // a limit of 2 is drawn as 2 for every connection (90 % of it rounds back to 2)
        RawBackend backend = start(new UpstreamKeepalive(Duration.ofSeconds(30), 2));
        for (int i = 0; i < 5; i++) {
            assertThat(TestClient.get(proxy.port(), "/r" + i).status()).isEqualTo(200);
        }
        assertThat(backend.requests).extracting(RawBackend.Request::connection).containsExactly(0, 0, 1, 1, 2);
        awaitSize(backend, 2);
        assertThat(backend.closedByProxy).as("each connection closed by the proxy after its second request")
                .containsExactlyInAnyOrder(0, 1);
        assertThat(closed("max_requests", 2)).isEqualTo(2);
        assertThat(counts.opened()).isEqualTo(3);
        assertThat(counts.closedInAll()).as("the third is open").isEqualTo(2);
    }

    @Test
    void anUnusedConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        RawBackend backend = start(new UpstreamKeepalive(Duration.ofMillis(300), 10_000));
        assertThat(TestClient.get(proxy.port(), "/first").status()).isEqualTo(200);
        long sent = System.nanoTime();
        awaitSize(backend, 1);
        assertThat(backend.closedByProxy).containsExactly(0);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("not before the idle timeout")
                .isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(closed("idle_timeout", 1)).isEqualTo(1);
        assertThat(TestClient.get(proxy.port(), "/second").status()).isEqualTo(200);
        assertThat(backend.requests).extracting(RawBackend.Request::connection).as("a new connection after the close")
                .containsExactly(0, 1);
    }

    @Test
    void theDefaultsKeepAConnectionForManyRequests() throws Exception {
        RawBackend backend = start(UpstreamKeepalive.DEFAULTS);
        for (int i = 0; i < 20; i++) {
            assertThat(TestClient.get(proxy.port(), "/r" + i).status()).isEqualTo(200);
        }
        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.closedByProxy).isEmpty();
    }

    @Test
    void closesByTheTargetAndAfterAnAnswerThatAsksForItAreCountedApart() throws Exception {
        RawBackend backend = start(UpstreamKeepalive.DEFAULTS);
        backend.closeAfter(r -> r.path().equals("/bye"));
        assertThat(TestClient.get(proxy.port(), "/bye").status()).isEqualTo(200);
        assertThat(closed("target_closed", 1)).as("the target closed the pooled connection").isEqualTo(1);
        assertThat(TestClient.get(proxy.port(), "/please/close").status()).isEqualTo(200);
        awaitSize(backend, 1);
        assertThat(backend.closedByProxy).as("the second connection, closed by the proxy").containsExactly(1);
        assertThat(closed("unusable", 1)).as("its answer said Connection: close").isEqualTo(1);
        assertThat(counts.opened()).isEqualTo(2);
        assertThat(counts.closedInAll()).isEqualTo(2);
    }

    /** Waits up to 5 s for the proxy to have closed {@code n} of the backend's connections. */
    private static void awaitSize(RawBackend backend, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (backend.closedByProxy.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
