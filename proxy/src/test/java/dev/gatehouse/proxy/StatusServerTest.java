package dev.gatehouse.proxy;

import dev.gatehouse.config.KeyDigest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

class StatusServerTest {
    @Test
    void servesHealthReadinessAndStatusWithoutSecrets() throws Exception {
        try (ProxyServer proxy = ProxyServer.start(Fixtures.config());
             StatusServer status = StatusServer.start("127.0.0.1", 0, proxy)) {
            int port = status.port();
            TestClient.Response health = TestClient.get(port, "/healthz");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.body().trim()).isEqualTo("ok");
            assertThat(TestClient.get(port, "/readyz").status()).isEqualTo(503);

            assertThat(proxy.apply(Fixtures.snapshot(7, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").hosts("api.example.com").paths("/p").build()),
                    List.of(upstream("default/u", 9001, 9002)),
                    List.of(consumer("uid-c", "carol", "carols-secret"))))).isEmpty();
            assertThat(TestClient.get(port, "/readyz").status()).isEqualTo(200);

            TestClient.Response s = TestClient.get(port, "/status");
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.header("content-type")).isEqualTo("application/json");
            String hash = proxy.currentContentHash();
            assertThat(s.body()).contains("\"version\" : 7", "\"contentHash\" : \"" + hash + "\"",
                    "\"id\" : \"default/r\"", "\"api.example.com\"", "\"/p\"", "\"service\" : \"default/s\"",
                    "\"address\" : \"127.0.0.1:9001\"", "\"weight\" : 100", "\"id\" : \"default/u\"");
            assertThat(s.body()).doesNotContain(KeyDigest.of("carols-secret").toHex(), "carols-secret");

            assertThat(TestClient.get(port, "/nope").status()).isEqualTo(404);
            assertThat(TestClient.raw(port, "POST /status HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .status()).isEqualTo(405);
        }
    }

    @Test
    void readinessFailsOnceTheProxyDrains() throws Exception {
        ProxyServer proxy = ProxyServer.start(Fixtures.config());
        try (StatusServer status = StatusServer.start("127.0.0.1", 0, proxy)) {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", 9001)), List.of()))).isEmpty();
            assertThat(TestClient.get(status.port(), "/readyz").status()).isEqualTo(200);
            proxy.close();
            TestClient.Response r = TestClient.get(status.port(), "/readyz");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body().trim()).isEqualTo("draining");
            assertThat(TestClient.get(status.port(), "/status").body()).contains("\"draining\" : true");
        }
    }
}
