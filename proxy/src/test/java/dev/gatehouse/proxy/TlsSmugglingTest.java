package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The strict HTTP/1 gate stands in front on the TLS port too: smuggling attempts over TLS,
 * checked on the exact bytes the recording backend received (one event loop, one target: every
 * request shares the pooled connection a smuggled request would poison).
 */
class TlsSmugglingTest extends TlsTestBase {
    private static final String SMUGGLED = "GET /profile HTTP/1.1\r\nHost: gw\r\nX-Consumer-ID: admin\r\n\r\n";

    private RawBackend backend;

    @BeforeEach
    void start() throws Exception {
        backend = new RawBackend();
        closeables.add(backend);
        proxy = ProxyServer.start(Fixtures.oneLoopConfig().withTls(TlsConfig.on(0)));
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/root", "default/s").paths("/").build(),
                        route("default/profile", "default/s").paths("/profile").stripPath(false)
                                .keyAuth(new Route.KeyAuth(List.of(), true, false, false, null)).build()),
                List.of(upstream("default/u", backend.port())), List.of(consumer("uid-m", "moesif", "my-secret-key")),
                List.of(ca.leaf("gw", "gw").fallback("default/gw-tls"))))).isEmpty();
    }

    private TestClient tls() throws Exception {
        return new TestClient(TlsClient.connect(ca.clientContext(), proxy.tlsPort(), "gw"));
    }

    @Test
    void contentLengthWithTransferEncodingIsRefusedAndNothingReachesTheBackend() throws Exception {
        String chunked = Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n";
        try (TestClient c = tls()) {
            c.write("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
        }
        try (TestClient next = tls()) {
            next.write("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(next.read(false).body()).isEqualTo("GET /after");
        }
        assertThat(backend.requests).as("requests the backend parsed").hasSize(1);
        assertThat(backend.requests.get(0).path()).isEqualTo("/after");
        assertThat(backend.leftover()).as("bytes outside any framed request").isEmpty();
    }

    @Test
    void aBodyThatLooksLikeARequestTravelsAsTheBodyItWasDeclaredAs() throws Exception {
        try (TestClient c = tls()) {
            c.write("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED);
            assertThat(c.read(false).status()).isEqualTo(200);
            c.write("GET /next HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /next");
        }
        assertThat(backend.requests).hasSize(2);
        assertThat(backend.leftover()).isEmpty();
        RawBackend.Request post = backend.requests.get(0);
        assertThat(post.header("content-length")).containsExactly(String.valueOf(SMUGGLED.length()));
        assertThat(post.header("x-forwarded-proto")).containsExactly("https");
        assertThat(new String(post.body(), StandardCharsets.ISO_8859_1)).isEqualTo(SMUGGLED);
        assertThat(backend.requests).noneMatch(r -> r.path().equals("/profile"));
    }
}
