package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** close() stops accepting, finishes in-flight requests within the grace, then closes. */
class GracefulCloseTest {
    @Test
    void inFlightSlowRequestFinishesAndIdleConnectionsClose() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        try (Backend slow = new Backend("slow", (ex, s) -> {
            arrived.countDown();
            try {
                Thread.sleep(800);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "finally");
        })) {
            ProxyServer proxy = ProxyServer.start(Fixtures.config());
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", slow.port())), List.of()))).isEmpty();
            int port = proxy.port();
            try (TestClient idle = new TestClient(port)) {
                CompletableFuture<TestClient.Response> inFlight = CompletableFuture.supplyAsync(() -> {
                    try {
                        return TestClient.get(port, "/slow");
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                assertThat(arrived.await(5, TimeUnit.SECONDS)).isTrue();
                long start = System.nanoTime();
                proxy.close();
                long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                TestClient.Response r = inFlight.get(5, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("finally");
                assertThat(closeMillis).as("close waited for the request").isBetween(300L, 4_000L);
                assertThat(idle.closedByServer()).as("idle keep-alive connection closed").isTrue();
            }
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void graceOverClosesWhatIsLeft() throws Exception {
        try (Backend stuck = new Backend("stuck", (ex, s) -> {
            try {
                Thread.sleep(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            ProxyServer proxy = ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, java.time.Duration.ofMillis(200)));
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", stuck.port())), List.of()))).isEmpty();
            try (TestClient c = new TestClient(proxy.port())) {
                c.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                Thread.sleep(100);
                long start = System.nanoTime();
                proxy.close();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_500L);
                assertThat(c.closedByServer()).isTrue();
            }
        }
    }
}
