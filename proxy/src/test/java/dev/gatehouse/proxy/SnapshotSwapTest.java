package dev.gatehouse.proxy;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Snapshots swap atomically under traffic; a bad one is refused and the previous one keeps serving. */
class SnapshotSwapTest {
    private Backend blue;
    private Backend green;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        blue = new Backend("blue");
        green = new Backend("green");
        proxy = ProxyServer.start(Fixtures.config());
    }

    @AfterEach
    void stop() {
        proxy.close();
        blue.close();
        green.close();
    }

    private static Snapshot pointingAt(long version, int... ports) {
        return Fixtures.snapshot(version, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/").build()),
                List.of(upstream("default/u", ports)), List.of());
    }

    @Test
    void swapsUnderContinuousTrafficWithoutAFailedRequest() throws Exception {
        assertThat(proxy.apply(pointingAt(1, blue.port()))).isEmpty();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("http://127.0.0.1:" + proxy.port() + "/x");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        int clients = 4;
        CountDownLatch finished = new CountDownLatch(clients);
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try {
                    while (running.get()) {
                        try {
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                            } else {
                                failures.add(r.statusCode() + " " + r.body());
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                } finally {
                    finished.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        for (int v = 2; v <= 60; v++) {
            int[] ports = v % 3 == 0 ? new int[]{blue.port(), green.port()} : v % 3 == 1 ? new int[]{blue.port()} : new int[]{green.port()};
            assertThat(proxy.apply(pointingAt(v, ports))).isEmpty();
            awaitAnswered(ok, ok.get() + 2); // requests under every snapshot
        }
        int blueBefore = blue.seen.size();
        int greenBefore = green.seen.size();
        assertThat(proxy.apply(pointingAt(61, green.port()))).isEmpty();
        // enough traffic after the last swap that a request still going to blue would show
        awaitAnswered(ok, ok.get() + 100);
        running.set(false);
        finished.await();
        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThan(100);
        assertThat(green.seen.size()).isGreaterThan(greenBefore + 50);
        assertThat(blue.seen.size() - blueBefore).as("requests to blue after the last swap: those in flight at it").isLessThanOrEqualTo(clients);
        assertThat(proxy.current().version()).isEqualTo(61);
    }

    static void awaitAnswered(AtomicInteger answered, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (answered.get() < atLeast) {
            assertThat(System.nanoTime()).as("%d requests answered within 10 s (%d)", atLeast, answered.get()).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void badSnapshotIsRefusedAndThePreviousOneKeepsServing() throws Exception {
        assertThat(proxy.apply(pointingAt(1, blue.port()))).isEmpty();
        Snapshot bad = Fixtures.snapshot(2, List.of(service("default/s", "default/missing")),
                List.of(route("default/r", "default/s").paths("/").build()),
                List.of(upstream("default/u", List.of(new Upstream.Target("127.0.0.1", green.port(), 70000)))), List.of());
        List<Problem> problems = proxy.apply(bad);
        assertThat(problems).extracting(Problem::field).contains("services[0].upstream", "upstreams[0].targets[0].weight");
        assertThat(proxy.current().version()).isEqualTo(1);
        TestClient.Response r = TestClient.get(proxy.port(), "/");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-backend")).isEqualTo("blue");
    }

    /** Before any snapshot the port is closed (FirstSnapshotTest); a snapshot without routes answers 404. */
    @Test
    void aSnapshotWithoutRoutesIs404ForEveryRequest() throws Exception {
        assertThat(proxy.current()).isEqualTo(Snapshot.EMPTY);
        assertThat(proxy.listening()).isFalse();
        assertThat(proxy.apply(new Snapshot(1, List.of(), List.of(), List.of(), List.of()))).isEmpty();
        TestClient.Response r = TestClient.get(proxy.port(), "/");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body()).contains("no Route matched with those values");
    }

    @Test
    void pooledConnectionsOfTargetsThatStaySurviveASwap() throws Exception {
        assertThat(proxy.apply(pointingAt(1, blue.port()))).isEmpty();
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
            assertThat(proxy.apply(pointingAt(2, blue.port(), green.port()))).isEmpty();
            // the swap hands each event loop's pool its new targets in a task queued before
            // apply returns; the requests below run on this connection's loop after it
            for (int i = 0; i < 4; i++) {
                c.write("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(c.read(false).status()).isEqualTo(200);
            }
        }
        assertThat(blue.seen).hasSize(3);
        assertThat(blue.seen.stream().map(Backend.Seen::remotePort).distinct()).as("blue's upstream connections").hasSize(1);
    }
}
