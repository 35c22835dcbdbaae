package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The handshake timeout covers the whole handshake with one timer per connection: a client that
 * sends its ClientHello, gets the server's flight and then stalls is closed at the timeout and
 * counted once, as {@code timeout} (not also as {@code closed} when the close fails the
 * handshake). The stall before the ClientHello is {@code TlsSniTest}'s.
 */
class TlsHandshakeTimeoutTest {
    private static TestCerts.Leaf fallback;

    @BeforeAll
    static void certificates() throws Exception {
        fallback = new TestCerts("timeout-ca").leaf("fallback", "default.invalid");
    }

    private final List<ProxyServer> proxies = new ArrayList<>();

    @AfterEach
    void stop() {
        proxies.forEach(ProxyServer::close);
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aClientThatStallsAfterItsHelloIsClosedAtTheTimeoutAndCountedOnce(TlsProvider provider) throws Exception {
        if (provider == TlsProvider.OPENSSL) {
            assumeThat(io.netty.handler.ssl.OpenSsl.isAvailable()).as("OpenSSL loads here").isTrue();
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyServer p = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0).withProvider(provider)
                .withHandshakeTimeout(Duration.ofMillis(300))), registry);
        proxies.add(p);
        assertThat(p.apply(new Snapshot(1, List.of(), List.of(), List.of(), List.of(), List.of(fallback.fallback("default/f")))))
                .isEmpty();
        long start = System.nanoTime();
        // a TLS 1.2 ClientHello, then nothing: the server answers with its flight and waits for the client's
        byte[] answer = TlsClient.rawHello(p.tlsPort(), 0x0303, "a.test");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(answer.length).as("the server's flight came").isGreaterThan(5);
        assertThat(answer[0]).as("a handshake record").isEqualTo((byte) 0x16);
        assertThat(took).as("closed at the timeout, not at the reader's 5 s").isLessThan(Duration.ofSeconds(4));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (count(registry, "timeout") < 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(count(registry, "timeout")).isEqualTo(1.0);
        assertThat(count(registry, "closed") + count(registry, "other") + count(registry, "success"))
                .as("the close at the timeout is not counted again").isEqualTo(0.0);
    }

    private static double count(PrometheusMeterRegistry registry, String result) {
        return PrometheusText.parse(registry.scrape()).value("gatehouse_tls_handshakes_total", "result", result);
    }
}
