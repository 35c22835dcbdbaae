package dev.gatehouse.proxy;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A certificate rotation (a new snapshot, new bytes for the same Secret): new handshakes get the
 * new certificate at once, a keep-alive connection opened before keeps working on the old one,
 * and no request fails meanwhile. The expiry gauge follows the certificate, and the expiring
 * line is written once per certificate version.
 */
class TlsRotationTest extends OneProxy {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private Backend backend;

    private Snapshot snapshot(long version, Certificate... certs) {
        return new Snapshot(version, List.of(service("default/s", "default/u")), List.of(route("default/r", "default/s").build()),
                List.of(upstream("default/u", backend.port())), List.of(), List.of(certs));
    }

    private static TestClient.Response get(TestClient c) throws Exception {
        c.write("GET /x HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        return c.read(false);
    }

    @Test
    void newHandshakesGetTheNewCertificateWhileOpenConnectionsKeepTheOld() throws Exception {
        TestCerts ca = new TestCerts("rotation-ca");
        TestCerts.Leaf first = ca.leaf("first", Duration.ofDays(30), "api.example.com");
        TestCerts.Leaf second = ca.leaf("second", Duration.ofDays(90), "api.example.com");
        backend = stopAfter(new Backend("b"));
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)), registry);
        assertThat(proxy.apply(snapshot(1, first.certificate("default/api-tls", "api.example.com")))).isEmpty();

        SSLSocket before = TlsClient.connect(ca.clientContext(), proxy.tlsPort(), "api.example.com");
        try (TestClient kept = new TestClient(before)) {
            assertThat(get(kept).status()).isEqualTo(200);
            assertThat(expirySeconds()).isBetween((double) Duration.ofDays(29).toSeconds(), (double) Duration.ofDays(30).toSeconds());

            // new connections keep coming while the certificate rotates
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger failed = new AtomicInteger();
            AtomicInteger served = new AtomicInteger();
            Set<String> seen = ConcurrentHashMap.newKeySet();
            Thread load = new Thread(() -> {
                while (running.get() || served.get() < 5) {
                    try (SSLSocket s = TlsClient.connect(ca.clientContext(), proxy.tlsPort(), "api.example.com");
                         TestClient c = new TestClient(s)) {
                        seen.add(TlsClient.servedCn(s));
                        if (get(c).status() == 200) {
                            served.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
            });
            load.start();
            assertThat(proxy.apply(snapshot(2, second.certificate("default/api-tls", "api.example.com")))).isEmpty();
            try (SSLSocket after = TlsClient.connect(ca.clientContext(), proxy.tlsPort(), "api.example.com")) {
                assertThat(TlsClient.servedCn(after)).as("a handshake after the rotation").isEqualTo("second");
            }
            int servedAtRotation = served.get();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (served.get() < servedAtRotation + 5 && failed.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5); // a bounded poll of the load thread's progress
            }
            running.set(false);
            load.join(10_000);
            assertThat(failed.get()).as("failed requests during the rotation").isZero();
            assertThat(seen).contains("second");

            for (int i = 0; i < 3; i++) {
                assertThat(get(kept).status()).as("the connection opened before the rotation").isEqualTo(200);
            }
            assertThat(TlsClient.servedCn(before)).isEqualTo("first");
            assertThat(expirySeconds()).isBetween((double) Duration.ofDays(89).toSeconds(), (double) Duration.ofDays(90).toSeconds());
        }

        assertThat(proxy.apply(snapshot(3))).isEmpty();
        assertThat(registry.scrape()).as("the gauge goes with the certificate")
                .doesNotContain("gatehouse_tls_certificate_expiry_seconds");
    }

    @Test
    void aCertificateNearExpiryIsLoggedOncePerVersion() throws Exception {
        TestCerts ca = new TestCerts("expiry-ca");
        TestCerts.Leaf soon = ca.leaf("soon", Duration.ofDays(5).plusHours(1), "api.example.com");
        TestCerts.Leaf renewedSoon = ca.leaf("renewed", Duration.ofDays(3).plusHours(1), "api.example.com");
        TestCerts.Leaf expired = ca.leaf("expired", Duration.ofDays(-2).minusHours(1), "old.example.com");
        backend = stopAfter(new Backend("b"));
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)), registry);
            Certificate soonCert = soon.certificate("default/api-tls", "api.example.com");
            assertThat(proxy.apply(snapshot(1, soonCert, expired.certificate("default/old-tls", "old.example.com")))).isEmpty();
            assertThat(proxy.apply(snapshot(2, soonCert, expired.certificate("default/old-tls", "old.example.com")))).isEmpty();
            assertThat(proxy.apply(snapshot(3, renewedSoon.certificate("default/api-tls", "api.example.com")))).isEmpty();
        } finally {
            System.setErr(original);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("event=tls.certificate-expiring")).toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains("secret=default/api-tls days=5 ");
        assertThat(lines.get(1)).contains("secret=default/old-tls days=-2 ");
        assertThat(lines.get(2)).contains("secret=default/api-tls days=3 ");
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("PRIVATE KEY", soon.keyPem().substring(40, 80));
        assertThat(expirySeconds()).isBetween((double) Duration.ofDays(3).toSeconds(), (double) Duration.ofDays(3).plusHours(1).toSeconds());
    }

    private double expirySeconds() {
        return PrometheusText.parse(registry.scrape()).value("gatehouse_tls_certificate_expiry_seconds", "secret", "default/api-tls");
    }
}
