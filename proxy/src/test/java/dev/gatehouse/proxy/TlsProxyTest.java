package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests over the TLS port as a user sees them: the forwarded headers a backend gets, key-auth,
 * balancing and the access log over TLS; {@code httpsRedirect} on the cleartext port (308,
 * Location, query kept, nothing forwarded, key-auth never consulted).
 */
class TlsProxyTest extends TlsTestBase {
    private static final String KEY = "tls-secret-key";

    private void start(TlsConfig tls, AccessLogDestination log, int... backendPorts) {
        proxy = ProxyServer.start(Fixtures.config().withTls(tls), new SimpleMeterRegistry(), log);
        Route.KeyAuth keyAuth = new Route.KeyAuth(List.of(), true, false, false, null);
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")), List.of(
                route("default/open", "default/s").paths("/open").stripPath(false).build(),
                route("default/secure", "default/s").paths("/secure").stripPath(false).httpsRedirect(true).keyAuth(keyAuth).build(),
                route("default/keyed", "default/s").paths("/keyed").stripPath(false).keyAuth(keyAuth).build()),
                List.of(upstream("default/u", backendPorts)), List.of(consumer("uid-alice", "alice", KEY)),
                List.of(leaf.certificate("default/api-tls", "api.example.com", "www.example.com"))))).isEmpty();
    }

    @Test
    void aRequestOverTlsReachesTheBackendWithHttpsForwardedHeaders() throws Exception {
        Backend b = backend("b");
        start(TlsConfig.on(0), AccessLogDestination.OFF, b.port());
        TestClient c = tls("api.example.com");
        c.write("GET /open/x?q=1 HTTP/1.1\r\nHost: api.example.com\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 1\r\n\r\n");
        TestClient.Response r = c.read(false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("GET /open/x?q=1");
        Backend.Seen seen = b.seen.get(0);
        // the client's own X-Forwarded-* are replaced: it is no trusted proxy
        assertThat(seen.header("x-forwarded-proto")).isEqualTo("https");
        assertThat(seen.header("x-forwarded-port")).isEqualTo(String.valueOf(proxy.tlsPort()));
        assertThat(seen.header("x-forwarded-host")).isEqualTo("api.example.com");
        // the same over cleartext says http and the cleartext port
        assertThat(TestClient.get(proxy.port(), "/open/y").status()).isEqualTo(200);
        assertThat(b.seen.get(1).header("x-forwarded-proto")).isEqualTo("http");
        assertThat(b.seen.get(1).header("x-forwarded-port")).isEqualTo(String.valueOf(proxy.port()));
    }

    @Test
    void keyAuthAndBalancingWorkTheSameOverTls() throws Exception {
        Backend one = backend("one");
        Backend two = backend("two");
        start(TlsConfig.on(0), AccessLogDestination.OFF, one.port(), two.port());
        TestClient c = tls("www.example.com");
        c.write("GET /keyed HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(401);
        c.write("GET /keyed HTTP/1.1\r\nHost: www.example.com\r\napikey: wrong\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(401);
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            c.write("GET /keyed HTTP/1.1\r\nHost: www.example.com\r\napikey: " + KEY + "\r\n\r\n");
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(200);
            answered.add(r.header("x-backend"));
        }
        assertThat(answered).containsExactly("one", "two", "one", "two");
        assertThat(one.seen).allMatch(s -> "uid-alice".equals(s.header("x-consumer-id")));
    }

    @Test
    void aRedirectRouteAnswersCleartextWith308AndForwardsNothing() throws Exception {
        Backend b = backend("b");
        start(TlsConfig.on(0), AccessLogDestination.OFF, b.port());
        // no key, a wrong key, the right key: the same redirect (it says nothing about keys)
        for (String key : new String[]{null, "wrong", KEY}) {
            TestClient.Response r = key == null ? TestClient.get(proxy.port(), "/secure/a?x=1&y=%20z", "Host", "api.example.com:8000")
                    : TestClient.get(proxy.port(), "/secure/a?x=1&y=%20z", "Host", "api.example.com:8000", "apikey", key);
            assertThat(r.status()).as("key %s", key).isEqualTo(308);
            assertThat(r.header("location")).isEqualTo("https://api.example.com:" + proxy.tlsPort() + "/secure/a?x=1&y=%20z");
            assertThat(r.header("www-authenticate")).isNull();
        }
        // a body is not forwarded, and the connection closes rather than read it
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST /secure/upload HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 100000\r\n\r\npartial");
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(308);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
        // HTTP/1.0 without a Host: nowhere to redirect to
        TestClient.Response noHost = TestClient.raw(proxy.port(), "GET /secure HTTP/1.0\r\n\r\n");
        assertThat(noHost.status()).isEqualTo(400);
        assertThat(noHost.body()).contains("no Host to redirect to https://");
        assertThat(b.seen).as("the backend got nothing").isEmpty();
        // over TLS the same route is served (and key-auth runs)
        TestClient c = tls("api.example.com");
        c.write("GET /secure/a HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(401);
        c.write("GET /secure/a HTTP/1.1\r\nHost: api.example.com\r\napikey: " + KEY + "\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(200);
        assertThat(b.seen).hasSize(1);
    }

    @Test
    void theRedirectLeavesOutPort443AndUsesTheConfiguredPublicPort() throws Exception {
        Backend b = backend("b");
        start(TlsConfig.on(0).withRedirectPort(443), AccessLogDestination.OFF, b.port());
        TestClient.Response r = TestClient.get(proxy.port(), "/secure?a=b", "Host", "www.example.com");
        assertThat(r.status()).isEqualTo(308);
        assertThat(r.header("location")).isEqualTo("https://www.example.com/secure?a=b");
        proxy.close();
        proxy = null;
        start(TlsConfig.on(0).withRedirectPort(9443), AccessLogDestination.OFF, b.port());
        assertThat(TestClient.get(proxy.port(), "/secure", "Host", "www.example.com:80").header("location"))
                .isEqualTo("https://www.example.com:9443/secure");
    }

    @Test
    void theAccessLogRecordsTlsVersionAndSni(@TempDir Path dir) throws Exception {
        Backend b = backend("b");
        Path file = dir.resolve("access.log");
        start(TlsConfig.on(0), AccessLogDestination.file(file), b.port());
        TestClient c = tls("api.example.com");
        c.write("GET /open/tls HTTP/1.1\r\nHost: api.example.com\r\nX-Request-Id: over-tls\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/open/clear", "X-Request-Id", "cleartext").status()).isEqualTo(200);
        proxy.close();
        proxy = null;
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            lines.add(json.readTree(line));
        }
        JsonNode tls = lines.stream().filter(l -> l.get("request_id").asText().equals("over-tls")).findFirst().orElseThrow();
        assertThat(tls.get("tls_version").asText()).isEqualTo("TLSv1.3");
        assertThat(tls.get("sni").asText()).isEqualTo("api.example.com");
        JsonNode clear = lines.stream().filter(l -> l.get("request_id").asText().equals("cleartext")).findFirst().orElseThrow();
        assertThat(clear.get("tls_version").isNull()).isTrue();
        assertThat(clear.get("sni").isNull()).isTrue();
    }
}
