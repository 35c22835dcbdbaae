package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN §7: the seed walkthrough against two backends that behave like its OpenResty replicas.
 * {@code /} answers "Hello from my service"; {@code /profile} answers 401 "Unauthorized" without
 * {@code X-Consumer-ID}, else a JSON document whose {@code id} is that header.
 */
class SeedWalkthroughTest {
    private static final String CONSUMER_ID = "6f1c6c3e-moesif-uid";

    private Backend replica1;
    private Backend replica2;
    private ProxyServer proxy;

    static Backend replica(String name) throws Exception {
        return new Backend(name, (ex, seen) -> {
            String path = ex.getRequestURI().getPath();
            if (path.startsWith("/profile")) {
                String consumer = seen.header("x-consumer-id");
                if (consumer == null) {
                    Backend.respond(ex, 401, "Unauthorized");
                } else {
                    ex.getResponseHeaders().set("Content-Type", "application/json");
                    Backend.respond(ex, 200, "{\"id\":\"" + consumer + "\",\"name\":\"moesif\",\"replica\":\"" + name + "\"}");
                }
            } else {
                Backend.respond(ex, 200, "Hello from my service");
            }
        });
    }

    static Snapshot seed(int port1, int port2) {
        Consumer moesif = new Consumer(CONSUMER_ID, Fixtures.source("Consumer", "default/moesif"), "moesif", null,
                List.of(new Consumer.Credential("uid-moesif-key", KeyDigest.of("my-secret-key"))));
        return Fixtures.snapshot(1,
                List.of(service("default/moesif-service", "default/moesif")),
                List.of(route("default/root", "default/moesif-service").paths("/").build(),
                        route("default/profile", "default/moesif-service").paths("/profile").stripPath(false)
                                .keyAuth(new Route.KeyAuth(null, true, true, false, null)).build()),
                List.of(upstream("default/moesif", port1, port2)),
                List.of(moesif));
    }

    @BeforeEach
    void start() throws Exception {
        replica1 = replica("replica-1");
        replica2 = replica("replica-2");
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(seed(replica1.port(), replica2.port()))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        replica1.close();
        replica2.close();
    }

    @Test
    void rootAlternatesBetweenTheReplicas() throws Exception {
        List<String> replicas = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("Hello from my service");
            replicas.add(r.header("x-backend"));
        }
        assertThat(replicas).containsExactly("replica-1", "replica-2", "replica-1", "replica-2", "replica-1", "replica-2");
    }

    @Test
    void profileNeedsTheRightKey() throws Exception {
        TestClient.Response none = TestClient.get(proxy.port(), "/profile");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body()).contains("\"message\":\"No API key found in request\"");

        TestClient.Response wrong = TestClient.get(proxy.port(), "/profile", "apikey", "not-my-key");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).contains("\"message\":\"Unauthorized\"");

        TestClient.Response right = TestClient.get(proxy.port(), "/profile", "apikey", "my-secret-key");
        assertThat(right.status()).isEqualTo(200);
        assertThat(right.body()).contains("\"id\":\"" + CONSUMER_ID + "\"");

        TestClient.Response query = TestClient.get(proxy.port(), "/profile?apikey=my-secret-key");
        assertThat(query.status()).isEqualTo(200);
        assertThat(replica1.seen.size() + replica2.seen.size()).isEqualTo(2);
    }

    @Test
    void aSpoofedConsumerIdNeverReachesAReplica() throws Exception {
        TestClient.Response spoofed = TestClient.get(proxy.port(), "/profile", "X-Consumer-ID", "admin");
        assertThat(spoofed.status()).isEqualTo(401);
        TestClient.Response withKey = TestClient.get(proxy.port(), "/profile", "apikey", "my-secret-key",
                "X-Consumer-ID", "admin");
        assertThat(withKey.body()).contains("\"id\":\"" + CONSUMER_ID + "\"");
        TestClient.Response root = TestClient.get(proxy.port(), "/", "X-Consumer-ID", "admin");
        assertThat(root.status()).isEqualTo(200);
        List<Backend.Seen> all = new ArrayList<>(replica1.seen);
        all.addAll(replica2.seen);
        assertThat(all).hasSize(2).allSatisfy(s -> assertThat(s.headers().get("x-consumer-id")).isNotEqualTo(List.of("admin")));
    }

    @Test
    void withOneReplicaStoppedEveryGetSucceeds() throws Exception {
        replica2.close();
        for (int i = 0; i < 20; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), i % 2 == 0 ? "/" : "/profile?apikey=my-secret-key");
            assertThat(r.status()).as("request " + i).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("replica-1");
        }
    }
}
