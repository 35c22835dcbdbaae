package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * 421 Misdirected Request over raw TLS sockets: a request whose Host another certificate than the
 * connection's SNI name is served for is answered by the proxy (never forwarded), on the same
 * connection, which stays usable; a host the same certificate serves (a second SAN, a wildcard) may
 * share the connection, as may a port on the Host, and a connection without SNI is not checked.
 */
class TlsMisdirectedTest extends TlsTestBase {
    private static TestCerts.Leaf shop;
    private static TestCerts.Leaf wildcard;
    private static TestCerts.Leaf fallback;
    private static TestCerts.Leaf two;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private Backend backend;

    @BeforeAll
    static void certificates() throws Exception {
        shop = ca.leaf("shop", "shop.example.com", "www.shop.example.com");
        wildcard = ca.leaf("apps", "*.apps.example.com");
        fallback = ca.leaf("fallback", "default.invalid");
        two = ca.leaf("two", "two.apps.example.com");
    }

    /** A proxy with the shop certificate, and the apps wildcard or the fallback certificate. */
    private void start(boolean withFallback) throws Exception {
        backend = backend("b");
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)), registry);
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").stripPath(false).build()), List.of(upstream("default/u", backend.port())),
                List.of(), List.of(withFallback ? fallback.fallback("default/fallback")
                                : wildcard.certificate("default/apps", "*.apps.example.com"),
                        shop.certificate("default/shop", "shop.example.com", "www.shop.example.com"))))).isEmpty();
    }

    private static TestClient.Response get(TestClient c, String host, String path) throws Exception {
        c.write("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        return c.read(false);
    }

    @Test
    void aHostAnotherCertificateServesGets421AndNothingIsForwarded() throws Exception {
        start(false);
        TestClient c = tls("shop.example.com");
        assertThat(get(c, "shop.example.com", "/a").status()).isEqualTo(200);

        TestClient.Response misdirected = get(c, "x.apps.example.com", "/b");
        assertThat(misdirected.status()).isEqualTo(421);
        assertThat(misdirected.body()).contains("shop.example.com", "server name");
        TestClient.Response noCertificate = get(c, "plain.example.org:443", "/c");
        assertThat(noCertificate.status()).as("a host no certificate is served for").isEqualTo(421);
        assertThat(backend.seen).extracting(Backend.Seen::uri).containsExactly("/a");

        // the connection stays usable; the same certificate's other name and a port on the Host are fine
        assertThat(get(c, "www.shop.example.com", "/d").status()).isEqualTo(200);
        assertThat(get(c, "SHOP.example.com:443", "/e").status()).isEqualTo(200);
        assertThat(backend.seen).extracting(Backend.Seen::uri).containsExactly("/a", "/d", "/e");

        // a wildcard certificate serves every name it covers on one connection
        TestClient apps = tls("one.apps.example.com");
        assertThat(get(apps, "two.apps.example.com", "/f").status()).isEqualTo(200);
        assertThat(get(apps, "shop.example.com", "/g").status()).isEqualTo(421);

        assertThat(PrometheusText.parse(registry.scrape()).value("gatehouse_client_refused_total", "reason", "misdirected"))
                .isEqualTo(3.0);
    }

    /**
     * The answer for a connection's last host is kept, so a client repeating its Host pays for the
     * lookups once; a snapshot that changes the certificates is still seen by the next request on
     * the same connection.
     */
    @Test
    void aCertificateChangeReachesARequestOnAnOpenConnection() throws Exception {
        start(false);
        TestClient c = tls("one.apps.example.com");
        assertThat(get(c, "two.apps.example.com", "/a").status()).isEqualTo(200);
        assertThat(get(c, "two.apps.example.com", "/b").status()).isEqualTo(200);

        // two.apps.example.com gets a certificate of its own: the wildcard no longer serves it
        assertThat(proxy.apply(new Snapshot(2, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").stripPath(false).build()), List.of(upstream("default/u", backend.port())),
                List.of(), List.of(wildcard.certificate("default/apps", "*.apps.example.com"),
                        shop.certificate("default/shop", "shop.example.com", "www.shop.example.com"),
                        two.certificate("default/two", "two.apps.example.com"))))).isEmpty();
        assertThat(get(c, "two.apps.example.com", "/c").status()).isEqualTo(421);
        assertThat(get(c, "three.apps.example.com", "/d").status()).isEqualTo(200);
        assertThat(get(c, "two.apps.example.com", "/e").status()).isEqualTo(421);
        assertThat(backend.seen).extracting(Backend.Seen::uri).containsExactly("/a", "/b", "/d");
    }

    @Test
    void aConnectionWithoutServerNameIsNotChecked() throws Exception {
        start(true);
        TestClient c = tls(null); // the fallback certificate; no name to hold the request to
        assertThat(get(c, "shop.example.com", "/a").status()).isEqualTo(200);
        assertThat(get(c, "elsewhere.example.net", "/b").status()).isEqualTo(200);
        assertThat(backend.seen).extracting(Backend.Seen::uri).containsExactly("/a", "/b");
    }
}
