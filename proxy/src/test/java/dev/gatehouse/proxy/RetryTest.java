package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Retries, balancing and upstream failures as a client sees them. */
class RetryTest extends ProxyTestBase {

    private void serve(Service service, Upstream upstream) {
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service), List.of(route("default/r", service.id()).build()),
                List.of(upstream), List.of()))).isEmpty();
    }

    @Test
    void requestsGoToTheLiveTargetAtOnceWhenOneIsDown() throws Exception {
        Backend live = backend("live");
        serve(service("default/s", "default/u"), upstream("default/u", live.port(), Backend.deadPort()));
        long start = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/" + i);
            assertThat(r.status()).as("request " + i).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("live");
        }
        assertThat(live.seen).hasSize(50);
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms for 50 requests").isLessThan(5_000);
    }

    @Test
    void requestsAlternateBetweenTwoLiveTargets() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        serve(service("default/s", "default/u"), upstream("default/u", a.port(), b.port()));
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            answered.add(TestClient.get(proxy.port(), "/").header("x-backend"));
        }
        assertThat(answered).containsExactly("a", "b", "a", "b", "a", "b");
    }

    @Test
    void allTargetsRefusingIs502() throws Exception {
        serve(service("default/s", "default/u"), upstream("default/u", Backend.deadPort(), Backend.deadPort()));
        TestClient.Response r = TestClient.get(proxy.port(), "/");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.body()).startsWith("{\"message\":\"An invalid response was received from the upstream server\"");
        assertThat(r.header("x-request-id")).isNotBlank();
    }

    @Test
    void noTargetWithWeightIs503() throws Exception {
        Backend a = backend("a");
        serve(service("default/s", "default/u"), upstream("default/u",
                List.of(new Upstream.Target("127.0.0.1", a.port(), 0))));
        TestClient.Response r = TestClient.get(proxy.port(), "/");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).startsWith("{\"message\":\"failure to get a peer from the ring-balancer\"");
        assertThat(a.seen).isEmpty();
    }

    @Test
    void postThatReachedABackendIsNeverReplayed() throws Exception {
        ClosingBackend one = new ClosingBackend();
        ClosingBackend two = new ClosingBackend();
        closeables.add(one);
        closeables.add(two);
        serve(service("default/s", "default/u"), upstream("default/u", one.port(), two.port()));
        TestClient.Response r = TestClient.raw(proxy.port(), "POST /pay HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                + "Connection: close\r\n\r\nhello");
        assertThat(r.status()).isEqualTo(502);
        assertThat(one.requests.get() + two.requests.get()).as("requests the backends read").isEqualTo(1);
    }

    @Test
    void idempotentRequestIsRetriedOnAnotherTargetAfterTheConnectionDropped() throws Exception {
        ClosingBackend closing = new ClosingBackend();
        closeables.add(closing);
        Backend good = backend("good");
        serve(service("default/s", "default/u"), upstream("default/u", closing.port(), good.port()));
        for (int i = 0; i < 4; i++) {
            TestClient.Response r = TestClient.raw(proxy.port(), "PUT /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("good");
        }
        assertThat(closing.requests.get()).isEqualTo(2);
    }

    /**
     * A silent target holds each request until the test ends (or 10 s). The proxy decides to
     * retry or to answer 504 when the read timeout (500 ms) fires, so a replayed POST would have
     * reached a target before the 504 and made it wait a second read timeout: both are checked
     * when the 504 arrives, counting requests whose head reached a target.
     */
    @Test
    void silentTargetIs504AndAnIdempotentRequestTriesTheNextOne() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Backend.Handler silent = (ex, s) -> {
            try {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "late");
        };
        Backend slow = backend("slow");
        slow.handler(silent);
        Backend fast = backend("fast");
        try {
            serve(service("default/s", "default/u", "/", 5, new Service.Timeouts(1000, 500, 1000)),
                    upstream("default/u", slow.port(), fast.port()));
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("fast");
            fast.handler(silent);
            r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.body()).startsWith("{\"message\":\"The upstream server is timing out\"");
            long t0 = System.nanoTime();
            TestClient.Response post = TestClient.raw(proxy.port(), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
                    + "Connection: close\r\n\r\nhi");
            long postMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(post.status()).isEqualTo(504);
            assertThat(postMillis).as("ms to the POST's 504: one read timeout (500 ms), not two").isBetween(450L, 950L);
            assertThat(slow.started.get() + fast.started.get()).as("requests that reached a target: GET 2 + GET 2 + POST once")
                    .isEqualTo(5);
        } finally {
            release.countDown();
        }
    }

    /** Reads a whole request (head and Content-Length body), counts it, and closes without answering. */
    static final class ClosingBackend implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        private final ServerSocket server;
        private final Thread thread;

        ClosingBackend() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(this::run, "closing-backend");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void run() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int c = in.read();
                        if (c < 0) {
                            break;
                        }
                        head.append((char) c);
                    }
                    if (head.length() == 0) {
                        continue;
                    }
                    int length = 0;
                    for (String line : head.toString().split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    in.readNBytes(length);
                    requests.incrementAndGet();
                } catch (IOException e) {
                    // closed
                }
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(2000);
        }
    }
}
