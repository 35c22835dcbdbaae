package dev.gatehouse.e2e;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.k8s.IngressConfig;
import dev.gatehouse.controller.translate.TestCertificates;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A GatewayRoute's certificate from a kubernetes.io/tls Secret, end to end on the Fabric8 mock API
 * server: the real controller reads the Secret through its informer and pushes the certificate to a
 * real proxy over the real channel; a rotation of the Secret reaches the proxy; a broken Secret
 * turns the route's ResolvedRefs false (with a Warning Event), takes the certificate out of the
 * proxy's snapshot, and the route goes on answering over plain HTTP.
 */
class TlsSecretE2ETest extends OneProxyE2E {
    static final Duration WITHIN = Duration.ofSeconds(20);
    static final String HOST = "secure.example.com";
    @Test
    void aSecretsCertificateReachesTheProxyRotatesAndABrokenOneFallsBackToPlainHttp() throws Exception {
        startServer();
        service(NS, "echo", echo("echo"));
        TestCertificates.Ca ca = TestCertificates.ca("e2e CA");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        TestCertificates.Leaf first = TestCertificates.leaf(ca, List.of(HOST), now.minusSeconds(60), now.plus(Duration.ofDays(90)),
                TestCertificates.KeyType.EC, TestCertificates.KeyFormat.TRADITIONAL);
        client.resource(tlsSecret(first.chainPem(), first.keyPem())).create();
        apply("""
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: echo}
                spec: {serviceRef: {name: echo, port: http}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: echo}
                spec: {upstreamRef: {name: echo}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: secure}
                spec: {serviceRef: {name: echo}, hosts: [secure.example.com], tls: {secretName: secure-tls}}
                """);
        // an unrelated TLS Secret: in the informer's cache, never in the snapshot
        client.resource(new SecretBuilder(tlsSecret(first.chainPem(), first.keyPem())).editMetadata().withName("unrelated-tls")
                .endMetadata().build()).create();
        startControllerAndProxy(IngressConfig.DEFAULT);

        Certificate served = await(WITHIN, this::certificate, c -> c != null, "the proxy holds the route's certificate");
        assertThat(served.id()).isEqualTo(NS + "/secure-tls");
        assertThat(served.serverNames()).containsExactly(HOST);
        assertThat(served.notAfterEpochSecond()).isEqualTo(now.plus(Duration.ofDays(90)).getEpochSecond());
        assertThat(served.keyPem()).startsWith("-----BEGIN PRIVATE KEY-----"); // the SEC1 key, as PKCS#8
        assertThat(proxy.proxy.current().certificates()).extracting(Certificate::id).containsExactly(NS + "/secure-tls");
        Condition refs = await(WITHIN, () -> Cluster.condition(Cluster.route(client, "secure"), "ResolvedRefs"),
                c -> c != null && "True".equals(c.getStatus()), "ResolvedRefs=True");
        assertThat(refs.getReason()).isEqualTo("ResolvedRefs");
        assertThat(get().toString()).startsWith("200 echo /");

        // rotation: the Secret's new certificate (a later notAfter) reaches the proxy
        TestCertificates.Leaf second = TestCertificates.leaf(ca, List.of(HOST), now.minusSeconds(60), now.plus(Duration.ofDays(180)),
                TestCertificates.KeyType.RSA, TestCertificates.KeyFormat.PKCS8);
        client.resource(tlsSecret(second.chainPem(), second.keyPem())).update();
        await(WITHIN, this::certificate, c -> c != null && c.notAfterEpochSecond() == now.plus(Duration.ofDays(180)).getEpochSecond(),
                "the rotated certificate reaches the proxy");

        // broken: the certificate with another key → ResolvedRefs=False naming the field, no certificate, plain HTTP still served
        client.resource(tlsSecret(second.chainPem(), first.keyPem())).update();
        Condition broken = await(WITHIN, () -> Cluster.condition(Cluster.route(client, "secure"), "ResolvedRefs"),
                c -> c != null && "False".equals(c.getStatus()), "ResolvedRefs=False");
        assertThat(broken.getReason()).isEqualTo("InvalidCertificateRef");
        assertThat(broken.getMessage()).startsWith("spec.tls.secretName: Secret \"secure-tls\": tls.key does not match the certificate")
                .contains("(fix:").doesNotContain(first.keyPem().split("\n")[1]);
        await(WITHIN, () -> proxy.proxy.current().certificates(), List::isEmpty, "the broken certificate leaves the proxy");
        var event = await(WITHIN, () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "secure".equals(e.getInvolvedObject().getName()) && "InvalidCertificateRef".equals(e.getReason()))
                .findFirst().orElse(null), e -> e != null, "a Warning Event on the route");
        assertThat(event.getType()).isEqualTo("Warning");
        assertThat(event.getMessage()).isEqualTo(broken.getMessage());
        assertThat(Cluster.condition(Cluster.route(client, "secure"), "Accepted").getStatus()).isEqualTo("True");
        assertThat(get().toString()).startsWith("200 echo /");
    }

    private Certificate certificate() {
        Snapshot s = proxy.proxy.current();
        return s == null ? null : s.certificates().stream().filter(c -> c.id().equals(NS + "/secure-tls")).findFirst().orElse(null);
    }

    private RawGet.Answer get() throws InterruptedException {
        return await(WITHIN, () -> proxy.proxy.listening() ? RawGet.get(proxy.proxy.port(), HOST, "/") : null,
                a -> a != null && a.status() == 200, "the route answers over plain HTTP");
    }

    /** With {@code data}: the mock server never folds {@code stringData} (a real API server does). */
    static Secret tlsSecret(String crt, String key) {
        return new SecretBuilder().withNewMetadata().withName("secure-tls").withNamespace(NS).endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", Base64.getEncoder().encodeToString(crt.getBytes(StandardCharsets.UTF_8)))
                .addToData("tls.key", Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)))
                .build();
    }
}
