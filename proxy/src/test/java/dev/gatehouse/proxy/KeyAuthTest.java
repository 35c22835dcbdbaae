package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** key-auth as Kong's plugin, over real sockets. */
class KeyAuthTest {
    private static Backend backend;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new Backend("b");
        proxy = ProxyServer.start(Fixtures.config());
        Consumer alice = new Consumer("uid-alice", Fixtures.source("Consumer", "default/alice"), "alice", "crm-42",
                List.of(new Consumer.Credential("secret-uid-1", KeyDigest.of("alice-key"))));
        Consumer guest = consumer("uid-guest", "guest", "guest-key-unused");
        Consumer other = new Consumer("uid-mallory", new Source("Consumer", "other", "mallory", "uid-m", 1), "mallory", null,
                List.of(new Consumer.Credential("cred-m", KeyDigest.of("other-ns-key"))));
        List<Route> routes = List.of(
                route("default/header-only", "default/s").paths("/h")
                        .keyAuth(new Route.KeyAuth(List.of(), true, false, false, null)).build(),
                route("default/both", "default/s").paths("/q")
                        .keyAuth(new Route.KeyAuth(List.of("apikey", "x-api-key"), true, true, false, null)).build(),
                route("default/hidden", "default/s").paths("/hide")
                        .keyAuth(new Route.KeyAuth(List.of(), true, true, true, null)).build(),
                route("default/anon", "default/s").paths("/anon")
                        .keyAuth(new Route.KeyAuth(List.of(), true, false, false, "uid-guest")).build(),
                route("default/open", "default/s").paths("/open").build());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")), routes,
                List.of(upstream("default/u", backend.port())), List.of(alice, guest, other)))).isEmpty();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backend.close();
    }

    @BeforeEach
    void clear() {
        backend.seen.clear();
    }

    private static void assert401(TestClient.Response r, String message) {
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("www-authenticate")).isEqualTo("Key realm=\"gatehouse\"");
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.body()).startsWith("{\"message\":\"" + message + "\",\"request_id\":\"" + r.header("x-request-id") + "\"");
        assertThat(backend.seen).isEmpty();
    }

    @Test
    void noKeyIs401() throws Exception {
        assert401(TestClient.get(proxy.port(), "/h"), "No API key found in request");
    }

    @Test
    void unknownKeyIs401Unauthorized() throws Exception {
        assert401(TestClient.get(proxy.port(), "/h", "apikey", "wrong"), "Unauthorized");
    }

    @Test
    void keyOfAConsumerInAnotherNamespaceIsRefused() throws Exception {
        assert401(TestClient.get(proxy.port(), "/h", "apikey", "other-ns-key"), "Unauthorized");
    }

    @Test
    void keyInQueryIsIgnoredWhenOnlyHeadersAreConfigured() throws Exception {
        assert401(TestClient.get(proxy.port(), "/h?apikey=alice-key"), "No API key found in request");
    }

    @Test
    void duplicateKeyIs401() throws Exception {
        assert401(TestClient.raw(proxy.port(), "GET /h HTTP/1.1\r\nHost: a\r\napikey: alice-key\r\napikey: alice-key\r\n"
                + "Connection: close\r\n\r\n"), "Duplicate API key found");
        assert401(TestClient.get(proxy.port(), "/q?apikey=alice-key", "apikey", "alice-key"), "Duplicate API key found");
        assert401(TestClient.get(proxy.port(), "/q", "apikey", "alice-key", "x-api-key", "alice-key"), "Duplicate API key found");
    }

    @Test
    void rightKeySendsTheConsumerUpstreamAndDropsSpoofedCopies() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/h/x", "apikey", "alice-key",
                "X-Consumer-ID", "spoofed", "X-Consumer-Username", "root", "X-Anonymous-Consumer", "true",
                "X-Credential-Identifier", "forged", "X-Consumer-Custom-ID", "forged");
        assertThat(r.status()).isEqualTo(200);
        Backend.Seen s = backend.seen.get(0);
        assertThat(s.uri()).isEqualTo("/x");
        assertThat(s.headers().get("x-consumer-id")).containsExactly("uid-alice");
        assertThat(s.headers().get("x-consumer-username")).containsExactly("alice");
        assertThat(s.headers().get("x-consumer-custom-id")).containsExactly("crm-42");
        assertThat(s.headers().get("x-credential-identifier")).containsExactly("secret-uid-1");
        assertThat(s.headers()).doesNotContainKey("x-anonymous-consumer");
        assertThat(s.header("apikey")).isEqualTo("alice-key");
    }

    @Test
    void keyInQueryWorksWhenEnabled() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/q/y?a=1&apikey=alice-key&b=2");
        assertThat(r.status()).isEqualTo(200);
        assertThat(backend.seen.get(0).uri()).isEqualTo("/y?a=1&apikey=alice-key&b=2");
        assertThat(TestClient.get(proxy.port(), "/q", "X-API-Key", "alice-key").status()).isEqualTo(200);
    }

    @Test
    void hideCredentialsRemovesTheKeyHeaderAndQueryParameter() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/hide/z?a=1&apikey=alice-key&b=2").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/hide/z", "apikey", "alice-key").status()).isEqualTo(200);
        assertThat(backend.seen.get(0).uri()).isEqualTo("/z?a=1&b=2");
        assertThat(backend.seen.get(1).headers()).doesNotContainKey("apikey");
        assertThat(backend.seen.get(1).header("x-consumer-id")).isEqualTo("uid-alice");
    }

    @Test
    void anonymousIsUsedWithoutAKeyButAWrongKeyIsStill401() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/anon", "X-Consumer-ID", "spoofed");
        assertThat(r.status()).isEqualTo(200);
        assertThat(backend.seen.get(0).headers().get("x-consumer-id")).containsExactly("uid-guest");
        assertThat(backend.seen.get(0).header("x-anonymous-consumer")).isEqualTo("true");
        assertThat(backend.seen.get(0).headers()).doesNotContainKey("x-credential-identifier");
        backend.seen.clear();
        assert401(TestClient.get(proxy.port(), "/anon", "apikey", "nope"), "Unauthorized");
    }

    @Test
    void consumerHeadersAreRemovedOnRoutesWithoutKeyAuth() throws Exception {
        TestClient.get(proxy.port(), "/open", "X-Consumer-ID", "spoofed", "X-Anonymous-Consumer", "true",
                "X-Consumer-Username", "root", "X-Consumer-Custom-ID", "c", "X-Credential-Identifier", "i");
        assertThat(backend.seen.get(0).headers()).doesNotContainKeys("x-consumer-id", "x-anonymous-consumer",
                "x-consumer-username", "x-consumer-custom-id", "x-credential-identifier");
    }

    @Test
    void keepAliveConnectionSurvivesA401() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /h HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(401);
            c.write("GET /h HTTP/1.1\r\nHost: a\r\napikey: alice-key\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
        }
    }
}
