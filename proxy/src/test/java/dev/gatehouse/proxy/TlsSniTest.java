package dev.gatehouse.proxy;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Which certificate a client gets, over real handshakes with both providers: exact before
 * wildcard, {@code +.} one label against {@code *.} any depth, case-insensitive SNI, an unknown
 * name and no SNI with and without a fallback (then the exact alert on the wire), TLS 1.1 refused.
 * Every handshake is a full one ({@link TlsClient#connect}).
 */
class TlsSniTest {
    private static TestCerts ca;
    private static TestCerts.Leaf exact;
    private static TestCerts.Leaf anyDepth;
    private static TestCerts.Leaf oneLabel;
    private static TestCerts.Leaf fallback;

    @BeforeAll
    static void certificates() throws Exception {
        ca = new TestCerts("sni-ca");
        exact = ca.leaf("exact", "api.example.com", "www.example.com");
        anyDepth = ca.leaf("any-depth", "*.example.com");
        oneLabel = ca.leaf("one-label", "*.apps.example.com");
        fallback = ca.leaf("fallback", "default.invalid");
    }

    private final List<ProxyServer> proxies = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void stop() {
        proxies.forEach(ProxyServer::close);
    }

    private ProxyServer proxy(TlsProvider provider, boolean withFallback, PrometheusMeterRegistry registry) {
        if (provider == TlsProvider.OPENSSL) {
            assumeThat(io.netty.handler.ssl.OpenSsl.isAvailable()).as("OpenSSL loads here").isTrue();
        }
        ProxyServer p = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0).withProvider(provider)), registry);
        proxies.add(p);
        List<Certificate> certs = new ArrayList<>(List.of(
                exact.certificate("default/exact", "api.example.com", "www.example.com"),
                anyDepth.certificate("default/any-depth", "*.example.com"),
                oneLabel.certificate("default/one-label", "+.apps.example.com")));
        if (withFallback) {
            certs.add(fallback.fallback("default/fallback"));
        }
        certs.sort(java.util.Comparator.comparing(Certificate::id)); // as the controller sends them
        assertThat(p.apply(new Snapshot(1, List.of(service("default/s", "default/u")), List.of(route("default/r", "default/s").build()),
                List.of(upstream("default/u", 9)), List.of(), certs))).isEmpty();
        return p;
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void selectionTable(TlsProvider provider) throws Exception {
        ProxyServer p = proxy(provider, true, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        Map<String, String> want = new LinkedHashMap<>();
        want.put("api.example.com", "exact");            // exact before *.example.com
        want.put("www.example.com", "exact");            // the leaf's second host
        want.put("API.Example.COM", "exact");            // SNI is case-insensitive
        want.put("x.example.com", "any-depth");
        want.put("a.b.example.com", "any-depth");         // *. covers any depth
        want.put("x.apps.example.com", "one-label");      // +.apps.example.com is more specific than *.example.com
        want.put("a.b.apps.example.com", "any-depth");    // +. covers one label only
        want.put("unknown.org", "fallback");
        Map<String, String> got = new LinkedHashMap<>();
        for (String name : want.keySet()) {
            try (SSLSocket s = TlsClient.connect(ca.clientContext(), p.tlsPort(), name)) {
                got.put(name, TlsClient.servedCn(s));
            }
        }
        assertThat(got).isEqualTo(want);
        try (SSLSocket s = TlsClient.connect(ca.clientContext(), p.tlsPort(), null)) {
            assertThat(TlsClient.servedCn(s)).as("no SNI: the fallback").isEqualTo("fallback");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void withoutFallbackAnUnknownNameGetsTheUnrecognizedNameAlert(TlsProvider provider) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyServer p = proxy(provider, false, registry);
        // fatal (2) unrecognized_name (112) in an alert record (21), and then the close
        assertThat(HexFormat.of().formatHex(TlsClient.rawHello(p.tlsPort(), 0x0303, "unknown.org"))).isEqualTo("15030300020270");
        // no SNI and no fallback: handshake_failure (40)
        assertThat(HexFormat.of().formatHex(TlsClient.rawHello(p.tlsPort(), 0x0303, null))).isEqualTo("15030300020228");
        assertThatThrownBy(() -> TlsClient.connect(ca.clientContext(), p.tlsPort(), "unknown.org").close())
                .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("unrecognized_name");
        try (SSLSocket s = TlsClient.connect(ca.clientContext(), p.tlsPort(), "api.example.com")) {
            assertThat(TlsClient.servedCn(s)).isEqualTo("exact");
        }
        PrometheusText m = PrometheusText.parse(registry.scrape());
        assertThat(m.value("gatehouse_tls_handshakes_total", "result", "unrecognized_name")).isEqualTo(2.0);
        assertThat(m.value("gatehouse_tls_handshakes_total", "result", "no_certificate")).isEqualTo(1.0);
        assertThat(m.value("gatehouse_tls_handshakes_total", "result", "success")).isEqualTo(1.0);
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void tls11IsRefusedWithAProtocolVersionAlert(TlsProvider provider) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyServer p = proxy(provider, true, registry);
        byte[] answer = TlsClient.rawHello(p.tlsPort(), 0x0302, "api.example.com");
        // an alert record, fatal, protocol_version (70); the record version is the server's choice
        assertThat(answer).hasSizeGreaterThanOrEqualTo(7);
        assertThat(answer[0]).isEqualTo((byte) 0x15);
        assertThat(answer[5]).isEqualTo((byte) 2);
        assertThat(answer[6]).isEqualTo((byte) 70);
        try (SSLSocket s = TlsClient.connect(ca.clientContext(), p.tlsPort(), "api.example.com", "TLSv1.2")) {
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(s.getSession().getCipherSuite()).startsWith("TLS_ECDHE_ECDSA_WITH_AES_128_GCM");
        }
        try (SSLSocket s = TlsClient.connect(ca.clientContext(), p.tlsPort(), "api.example.com")) {
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
        awaitCount(registry, "protocol_version", 1.0);
    }

    @Test
    void aHandshakeThatNeverComesIsClosedAtTheTimeout() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyServer p = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0).withHandshakeTimeout(Duration.ofMillis(200))),
                registry);
        proxies.add(p);
        assertThat(p.apply(new Snapshot(1, List.of(), List.of(), List.of(), List.of(), List.of(fallback.fallback("default/f")))))
                .isEmpty();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", p.tlsPort())) {
            s.setSoTimeout(5_000);
            long start = System.nanoTime();
            assertThat(s.getInputStream().read()).as("closed without a byte").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
        awaitCount(registry, "timeout", 1.0);
    }

    private static void awaitCount(PrometheusMeterRegistry registry, String result, double want) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        double got = 0;
        while (System.nanoTime() < deadline) {
            got = PrometheusText.parse(registry.scrape()).value("gatehouse_tls_handshakes_total", "result", result);
            if (got >= want) {
                break;
            }
            Thread.sleep(10);
        }
        assertThat(got).as("gatehouse_tls_handshakes_total{result=%s}", result).isEqualTo(want);
    }
}
