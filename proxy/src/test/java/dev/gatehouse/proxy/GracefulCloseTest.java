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
    /** The backend answers only once released, after close() started: close() returns after that, the answer delivered. */
    @Test
    void inFlightSlowRequestFinishesAndIdleConnectionsClose() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Backend slow = new Backend("slow", (ex, s) -> {
            arrived.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
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
                CompletableFuture<Long> closed = CompletableFuture.supplyAsync(() -> {
                    proxy.close();
                    return System.nanoTime();
                });
                assertThat(idle.closedByServer()).as("idle keep-alive connection closed").isTrue();
                assertThat(proxy.draining()).isTrue();
                long releasedAt = System.nanoTime();
                release.countDown();
                long closedAt = closed.get(5, TimeUnit.SECONDS);
                TestClient.Response r = inFlight.get(5, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("finally");
                assertThat(closedAt).as("close returned after the in-flight request was answered").isGreaterThan(releasedAt);
            }
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void graceOverClosesWhatIsLeft() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        try (Backend stuck = new Backend("stuck", (ex, s) -> {
            arrived.countDown();
            try {
                never.await(10, TimeUnit.SECONDS); // until the backend closes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            ProxyServer proxy = ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, java.time.Duration.ofMillis(200)));
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", stuck.port())), List.of()))).isEmpty();
            try (TestClient c = new TestClient(proxy.port())) {
                c.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(arrived.await(5, TimeUnit.SECONDS)).as("the request in flight").isTrue();
                long start = System.nanoTime();
                proxy.close();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_500L);
                assertThat(c.closedByServer()).isTrue();
            }
        }
    }
}
