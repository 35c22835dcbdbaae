package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Client connections silent for the idle timeout are closed unless a target is still working. */
class ClientIdleTest {
    private Backend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new Backend("b", (ex, s) -> {
            if (s.uri().startsWith("/slow")) {
                try {
                    Thread.sleep(800);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Backend.respond(ex, 200, "done");
        });
        proxy = ProxyServer.start(Fixtures.config().withLimits(ClientLimits.DEFAULTS.withIdleTimeout(java.time.Duration.ofMillis(300))));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())), List.of()))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void idleKeepAliveAndHalfSentHeadsAreClosed() throws Exception {
        try (TestClient idle = new TestClient(proxy.port()); TestClient partial = new TestClient(proxy.port())) {
            idle.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(idle.read(false).status()).isEqualTo(200);
            partial.write("GET / HTTP/1.1\r\nHost: a\r\n");
            long start = System.nanoTime();
            assertThat(idle.closedByServer()).isTrue();
            assertThat(partial.closedByServer()).isTrue();
            // closed by the 300 ms idle timeout, not left open until the client's own 10 s read timeout
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(9_000);
        }
    }

    @Test
    void stalledRequestBodyIsClosedButASlowTargetIsWaitedFor() throws Exception {
        try (TestClient stalled = new TestClient(proxy.port())) {
            stalled.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
            assertThat(stalled.closedByServer()).isTrue();
        }
        TestClient.Response slow = TestClient.get(proxy.port(), "/slow");
        assertThat(slow.status()).isEqualTo(200);
        assertThat(slow.body()).isEqualTo("done");
    }
}
