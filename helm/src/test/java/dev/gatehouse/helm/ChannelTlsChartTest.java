package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.channel.PemFiles;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The channel runs over TLS by default: the chart makes a CA and a certificate for the channel
 * Service's names (kept across upgrades), the controller serves it, and the proxy trusts only
 * the CA (pinned) for that name. cert-manager and an existing Secret are the other sources;
 * plain text only when asked for, with a warning.
 */
class ChannelTlsChartTest {
    static final String SERVICE = "gatehouse-channel.gatehouse-system.svc";
    static List<HasMetadata> defaults;

    @BeforeAll
    static void render() {
        defaults = Chart.parse(Chart.renderDefault());
    }

    static Container only(Deployment d) {
        return RenderedObjectsTest.only(d);
    }

    static byte[] data(Secret s, String key) {
        return Base64.getDecoder().decode(s.getData().get(key));
    }

    @Test
    void theControllerServesTheSecretsCertificateAndTheProxyTrustsOnlyItsCa() {
        Deployment controller = RenderedObjectsTest.controller(defaults);
        Deployment proxy = RenderedObjectsTest.proxy(defaults);
        assertThat(only(controller).getArgs()).containsSequence("--tls-cert", "/etc/gatehouse/channel-tls/tls.crt",
                "--tls-key", "/etc/gatehouse/channel-tls/tls.key");
        Volume serving = RenderedObjectsTest.volume(controller, "channel-tls");
        assertThat(serving.getSecret().getSecretName()).isEqualTo("gatehouse-channel-tls");
        assertThat(serving.getSecret().getItems()).extracting(i -> i.getKey(), i -> i.getPath())
                .containsExactly(tuple("tls.crt", "tls.crt"), tuple("tls.key", "tls.key"));
        assertThat(serving.getSecret().getDefaultMode()).isEqualTo(0440);
        assertThat(RenderedObjectsTest.mountPath(controller, only(controller), "channel-tls")).isEqualTo("/etc/gatehouse/channel-tls");

        assertThat(only(proxy).getArgs()).containsSequence("--controller", "wss://" + SERVICE + ":18000")
                .containsSequence("--ca-file", "/etc/gatehouse/channel-ca/ca.crt");
        Volume pinned = RenderedObjectsTest.volume(proxy, "channel-ca");
        assertThat(pinned.getSecret().getSecretName()).isEqualTo("gatehouse-channel-tls");
        assertThat(pinned.getSecret().getItems()).as("the proxy gets the CA certificate and nothing else of the Secret")
                .extracting(i -> i.getKey(), i -> i.getPath()).containsExactly(tuple("ca.crt", "ca.crt"));
        assertThat(RenderedObjectsTest.mountPath(proxy, only(proxy), "channel-ca")).isEqualTo("/etc/gatehouse/channel-ca");
        assertThat(proxy.getSpec().getTemplate().getSpec().getVolumes()).as("no proxy volume holds the controller's key")
                .noneMatch(v -> v.getSecret() != null && v.getSecret().getItems() != null
                        && v.getSecret().getItems().stream().anyMatch(i -> i.getKey().equals("tls.key")));

        Secret tls = Chart.one(defaults, Secret.class, "gatehouse-channel-tls");
        assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(tls.getData()).containsOnlyKeys("ca.crt", "tls.crt", "tls.key");
    }

    @Test
    void theChartMadeCertificateIsSignedByItsCaForTheChannelServicesNames() throws Exception {
        Secret tls = Chart.one(defaults, Secret.class, "gatehouse-channel-tls");
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        X509Certificate ca = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(data(tls, "ca.crt")));
        X509Certificate leaf = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(data(tls, "tls.crt")));
        leaf.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
        assertThat(leaf.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(leaf.getSubjectAlternativeNames()).extracting(n -> (Object) n.get(1)).containsExactly(
                "gatehouse-channel", "gatehouse-channel.gatehouse-system", SERVICE, SERVICE + ".cluster.local");
        assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(Duration.between(Instant.now(), leaf.getNotAfter().toInstant()).toDays()).isBetween(3648L, 3650L);

        PrivateKey key = PemFiles.privateKey(data(tls, "tls.key"));
        Signature sign = Signature.getInstance("SHA256withECDSA");
        sign.initSign(key);
        sign.update(new byte[] {42});
        byte[] signature = sign.sign();
        Signature verify = Signature.getInstance("SHA256withECDSA");
        verify.initVerify(leaf.getPublicKey());
        verify.update(new byte[] {42});
        assertThat(verify.verify(signature)).as("tls.key is the certificate's key").isTrue();
    }

    /**
     * The rendered Secret in the real channel server; a client that trusts only ca.crt and checks
     * the name, as the proxy does, completes the handshake for the Service's name and not for another.
     */
    @Test
    void theRealServerServesItAndAClientPinnedToTheCaAcceptsOnlyTheServiceName(@TempDir Path dir) throws Exception {
        Secret tls = Chart.one(defaults, Secret.class, "gatehouse-channel-tls");
        Path cert = Files.write(dir.resolve("tls.crt"), data(tls, "tls.crt"));
        Path key = Files.write(dir.resolve("tls.key"), data(tls, "tls.key"));
        try (ChannelServer server = ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, "t0ken-for-the-test", cert, key))) {
            assertThat(handshake(server.port(), data(tls, "ca.crt"), SERVICE)).isEqualTo("TLSv1.3");
            assertThat(handshake(server.port(), data(tls, "ca.crt"), SERVICE + ".cluster.local")).isEqualTo("TLSv1.3");
            assertThatThrownBy(() -> handshake(server.port(), data(tls, "ca.crt"), "gatehouse-channel.elsewhere.svc"))
                    .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("No subject alternative DNS name");
            Secret another = Chart.one(Chart.parse(Chart.renderDefault()), Secret.class, "gatehouse-channel-tls");
            assertThatThrownBy(() -> handshake(server.port(), data(another, "ca.crt"), SERVICE))
                    .as("another install's CA").isInstanceOf(SSLHandshakeException.class);
        }
    }

    /** A TLS handshake to 127.0.0.1:{@code port} as {@code host} (SNI and name check), trusting only {@code caPem}. */
    static String handshake(int port, byte[] caPem, String host) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(caPem)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            plain.setSoTimeout(10_000);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, false)) {
                SSLParameters params = socket.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                params.setServerNames(List.of(new SNIHostName(host)));
                socket.setSSLParameters(params);
                socket.startHandshake();
                return socket.getSession().getProtocol();
            }
        }
    }

    @Test
    void anUpgradeKeepsTheCaCertificateAndKeyFoundInTheCluster() {
        Secret first = Chart.one(defaults, Secret.class, "gatehouse-channel-tls");
        Secret second = Chart.one(Chart.parse(Chart.renderDefault()), Secret.class, "gatehouse-channel-tls");
        assertThat(second.getData().get("ca.crt")).as("a new install gets a new CA").isNotEqualTo(first.getData().get("ca.crt"));

        FakeKubeApi api = FakeKubeApi.start();
        api.putSecret("gatehouse-system", "gatehouse-channel-tls", "kubernetes.io/tls", first.getData());
        try {
            Secret upgraded = Chart.one(Chart.parse(Chart.renderDefault()), Secret.class, "gatehouse-channel-tls");
            assertThat(upgraded.getData()).isEqualTo(first.getData());
        } finally {
            api.removeSecret("gatehouse-system", "gatehouse-channel-tls");
        }
        api.putSecret("gatehouse-system", "gatehouse-channel-tls", "kubernetes.io/tls", Map.of("ca.crt", first.getData().get("ca.crt")));
        try {
            Secret repaired = Chart.one(Chart.parse(Chart.renderDefault()), Secret.class, "gatehouse-channel-tls");
            assertThat(repaired.getData()).as("a Secret missing a key is made anew").containsOnlyKeys("ca.crt", "tls.crt", "tls.key")
                    .doesNotContainEntry("ca.crt", first.getData().get("ca.crt"));
        } finally {
            api.removeSecret("gatehouse-system", "gatehouse-channel-tls");
        }
    }

    @Test
    void anExistingSecretIsMountedAndNotMade() {
        List<HasMetadata> objects = Chart.parse(Chart.template().set("channel.tls.source", "existing")
                .set("channel.tls.secretName", "my-channel-tls").call());
        assertThat(Chart.ofKind(objects, Secret.class)).extracting(s -> s.getMetadata().getName())
                .containsExactly("gatehouse-channel-token");
        assertThat(RenderedObjectsTest.volume(RenderedObjectsTest.controller(objects), "channel-tls").getSecret().getSecretName())
                .isEqualTo("my-channel-tls");
        assertThat(RenderedObjectsTest.volume(RenderedObjectsTest.proxy(objects), "channel-ca").getSecret().getSecretName())
                .isEqualTo("my-channel-tls");
    }

    @Test
    void certManagerMakesACaForTheChannelAloneAndACertificateForItsNames() {
        String yaml = Chart.template().set("channel.tls.source", "certManager").call();
        List<JsonNode> certManager = Chart.documents(yaml).stream()
                .filter(d -> d.path("apiVersion").asText().equals("cert-manager.io/v1")).toList();
        Chart.parse(core(yaml)); // everything else still parses strictly
        assertThat(Chart.ofKind(Chart.parse(core(yaml)), Secret.class)).extracting(s -> s.getMetadata().getName())
                .as("cert-manager writes the TLS Secret").containsExactly("gatehouse-channel-token");
        assertThat(certManager).extracting(d -> d.path("kind").asText() + "/" + d.at("/metadata/name").asText())
                .containsExactlyInAnyOrder("Certificate/gatehouse-channel-tls", "Issuer/gatehouse-channel-selfsigned",
                        "Certificate/gatehouse-channel-ca", "Issuer/gatehouse-channel-ca");
        JsonNode leaf = find(certManager, "Certificate", "gatehouse-channel-tls").path("spec");
        assertKnownFields(leaf, "secretName", "commonName", "dnsNames", "duration", "renewBefore", "privateKey", "usages", "issuerRef");
        assertThat(leaf.path("secretName").asText()).isEqualTo("gatehouse-channel-tls");
        assertThat(leaf.path("dnsNames")).extracting(JsonNode::asText).containsExactly(
                "gatehouse-channel", "gatehouse-channel.gatehouse-system", SERVICE, SERVICE + ".cluster.local");
        assertThat(leaf.at("/privateKey/encoding").asText()).isEqualTo("PKCS8");
        assertThat(leaf.at("/issuerRef/name").asText()).isEqualTo("gatehouse-channel-ca");
        assertThat(leaf.at("/issuerRef/kind").asText()).isEqualTo("Issuer");
        assertThat(leaf.path("duration").asText()).isEqualTo("2160h");
        JsonNode ca = find(certManager, "Certificate", "gatehouse-channel-ca").path("spec");
        assertKnownFields(ca, "isCA", "commonName", "secretName", "duration", "privateKey", "issuerRef");
        assertThat(ca.path("isCA").asBoolean()).isTrue();
        assertThat(find(certManager, "Issuer", "gatehouse-channel-ca").at("/spec/ca/secretName").asText())
                .isEqualTo(ca.path("secretName").asText());
        assertThat(ca.at("/issuerRef/name").asText()).isEqualTo("gatehouse-channel-selfsigned");
        assertThat(find(certManager, "Issuer", "gatehouse-channel-selfsigned").path("spec").has("selfSigned")).isTrue();

        List<JsonNode> given = Chart.documents(Chart.template().set("channel.tls.source", "certManager")
                        .set("channel.tls.certManager.issuerRef.name", "corp-ca")
                        .set("channel.tls.certManager.issuerRef.kind", "ClusterIssuer").call()).stream()
                .filter(d -> d.path("apiVersion").asText().equals("cert-manager.io/v1")).toList();
        assertThat(given).singleElement().satisfies(d -> {
            assertThat(d.at("/spec/issuerRef/name").asText()).isEqualTo("corp-ca");
            assertThat(d.at("/spec/issuerRef/kind").asText()).isEqualTo("ClusterIssuer");
        });
    }

    static JsonNode find(List<JsonNode> docs, String kind, String name) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    /** The YAML documents that are not cert-manager's (no Fabric8 model for those). */
    static String core(String yaml) {
        StringBuilder out = new StringBuilder();
        for (JsonNode d : Chart.documents(yaml)) {
            if (!d.path("apiVersion").asText().startsWith("cert-manager.io/")) {
                out.append("---\n").append(d.toString()).append('\n');
            }
        }
        return out.toString();
    }

    /** cert-manager.io/v1 Certificate spec fields the chart may use; a typo is not among them. */
    static void assertKnownFields(JsonNode spec, String... used) {
        List<String> known = List.of("secretName", "commonName", "dnsNames", "ipAddresses", "duration", "renewBefore",
                "privateKey", "usages", "issuerRef", "isCA", "secretTemplate", "subject");
        assertThat(known).containsAll(List.of(used));
        assertThat(spec.fieldNames()).toIterable().containsExactlyInAnyOrder(used);
    }

    @Test
    void plainTextOnlyByAnExplicitValueAndThenNotesWarn() {
        List<HasMetadata> plain = Chart.parse(Chart.template().set("channel.tls.enabled", false).call());
        Deployment controller = RenderedObjectsTest.controller(plain);
        Deployment proxy = RenderedObjectsTest.proxy(plain);
        assertThat(only(controller).getArgs()).doesNotContain("--tls-cert", "--tls-key");
        assertThat(only(proxy).getArgs()).containsSequence("--controller", "ws://" + SERVICE + ":18000").doesNotContain("--ca-file");
        assertThat(Chart.ofKind(plain, Secret.class)).extracting(s -> s.getMetadata().getName()).containsExactly("gatehouse-channel-token");
        for (Deployment d : List.of(controller, proxy)) {
            assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).extracting(Volume::getName)
                    .doesNotContain("channel-tls", "channel-ca");
        }
        assertThat(NotesTest.notes(Chart.helm().install().set("channel.tls.enabled", false)))
                .contains("WARNING: the channel between controller and proxies runs in PLAIN TEXT (channel.tls.enabled=false)")
                .contains("a proxy trusts whoever answers at gatehouse-channel:18000");
        assertThat(NotesTest.notes(Chart.helm().install())).doesNotContain("PLAIN TEXT");
        assertThat(NotesTest.notes(Chart.helm().install().set("channel.tls.source", "existing")))
                .contains("create Secret gatehouse-channel-tls in\ngatehouse-system with ca.crt, tls.crt and tls.key");
    }

    @Test
    void helmRefusesAnUnknownSource() {
        assertThatThrownBy(() -> Chart.template().set("channel.tls.source", "vault").call())
                .hasMessageContaining("channel.tls.source");
    }
}
