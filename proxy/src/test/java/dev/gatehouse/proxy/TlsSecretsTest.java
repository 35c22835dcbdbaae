package dev.gatehouse.proxy;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A certificate's private key never shows: not on {@code /status}, not in a metric, not in the
 * logs of loading it, not in the problem of a key that cannot be loaded.
 */
class TlsSecretsTest {
    /** A piece of the key's base64 body: any quote of the key would contain it. */
    private static String keyBody(String pem) {
        return pem.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow().substring(8, 56);
    }

    @Test
    void statusMetricsAndLogsShowTheCertificateNeverItsKey() throws Exception {
        TestCerts ca = new TestCerts("secrets-ca");
        TestCerts.Leaf leaf = ca.leaf("api", "api.example.com");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PrintStream original = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
        try (ProxyServer proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)), registry);
             StatusServer status = StatusServer.start("127.0.0.1", 0, proxy)) {
            assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")), List.of(route("default/r", "default/s")
                    .build()), List.of(upstream("default/u", 9)), List.of(),
                    List.of(leaf.certificate("default/api-tls", "api.example.com"))))).isEmpty();
            String body = TestClient.get(status.port(), "/status").body();
            assertThat(body).contains("\"secret\" : \"default/api-tls\"", "\"api.example.com\"", "\"notAfter\"");
            assertThat(body).doesNotContain("PRIVATE KEY", keyBody(leaf.keyPem()));
            assertThat(TestClient.get(status.port(), "/metrics").body()).contains("gatehouse_tls_certificate_expiry_seconds")
                    .doesNotContain(keyBody(leaf.keyPem()));
        } finally {
            System.setErr(original);
        }
        assertThat(logs.toString(StandardCharsets.UTF_8)).contains("event=tls.certificate-loaded secret=default/api-tls")
                .doesNotContain("PRIVATE KEY", keyBody(leaf.keyPem()));
    }

    @Test
    void aKeyThatCannotBeLoadedRefusesTheSnapshotNamingTheSecretNotTheKey() throws Exception {
        TestCerts ca = new TestCerts("secrets-ca");
        TestCerts.Leaf leaf = ca.leaf("api", "api.example.com");
        // a well-formed PEM whose content is not a key
        String notAKey = leaf.keyPem().replace(keyBody(leaf.keyPem()), "QUFB".repeat(12));
        Certificate bad = new Certificate("default/bad-tls", List.of("api.example.com"), leaf.chainPem(), notAKey,
                leaf.cert().getNotAfter().toInstant().getEpochSecond(), false);
        try (ProxyServer proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)))) {
            List<Problem> problems = proxy.apply(new Snapshot(1, List.of(), List.of(), List.of(), List.of(), List.of(bad)));
            assertThat(problems).hasSize(1);
            assertThat(problems.get(0).field()).isEqualTo("certificates[0]");
            assertThat(problems.get(0).message()).contains("default/bad-tls", "cannot load")
                    .doesNotContain("QUFB".repeat(12), keyBody(leaf.keyPem()));
            assertThat(proxy.listening()).as("a refused first snapshot opens nothing").isFalse();
            assertThat(proxy.tlsListening()).isFalse();
        }
    }
}
