package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Many keep-alive clients at once: every response belongs to its own request (no cross-talk). */
class ConcurrencyTest {
    @Test
    void concurrentClientsEachGetTheirOwnResponses() throws Exception {
        try (Backend a = new Backend("a"); Backend b = new Backend("b");
             ProxyServer proxy = ProxyServer.start(Fixtures.config())) {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", a.port(), b.port())),
                    List.of()))).isEmpty();
            int clients = 32;
            int requests = 40;
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    try (TestClient t = new TestClient(proxy.port())) {
                        for (int i = 0; i < requests; i++) {
                            String path = "/c" + client + "/r" + i;
                            if (i % 5 == 4) {
                                String body = "x".repeat(i * 100);
                                t.write("POST " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                                TestClient.Response r = t.read(false);
                                if (r.status() != 200 || !r.body().equals("POST " + path)) {
                                    wrong.add(path + " -> " + r.status() + " " + r.body());
                                }
                            } else {
                                t.write("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
                                TestClient.Response r = t.read(false);
                                if (r.status() != 200 || !r.body().equals("GET " + path)) {
                                    wrong.add(path + " -> " + r.status() + " " + r.body());
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(wrong).isEmpty();
            assertThat(a.seen.size() + b.seen.size()).isEqualTo(clients * requests);
            assertThat(Math.abs(a.seen.size() - b.seen.size())).as("balance between a and b").isLessThanOrEqualTo(clients * requests / 10);
        }
    }
}
