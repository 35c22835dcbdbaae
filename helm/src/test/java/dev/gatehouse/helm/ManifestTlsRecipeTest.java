package dev.gatehouse.helm;

import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * manifests/gatehouse.yaml runs the channel over TLS like the chart, from a Secret the user makes
 * with the openssl lines of its header: those lines, run here as written (kubectl left out), make
 * a CA and a certificate the real channel server serves and a client pinned to that CA accepts for
 * the channel Service's name.
 */
class ManifestTlsRecipeTest {

    @Test
    void theManifestDialsWssWithThePinnedCaAndShipsTheNetworkPolicy() throws Exception {
        String manifest = Files.readString(AllInOne.FILE);
        List<HasMetadata> objects = Chart.parse(manifest);
        Deployment proxy = RenderedObjectsTest.proxy(objects);
        assertThat(RenderedObjectsTest.only(proxy).getArgs())
                .containsSequence("--controller", "wss://gatehouse-channel.gatehouse-system.svc:18000")
                .containsSequence("--ca-file", "/etc/gatehouse/channel-ca/ca.crt");
        assertThat(RenderedObjectsTest.volume(proxy, "channel-ca").getSecret().getSecretName()).isEqualTo("gatehouse-channel-tls");
        assertThat(RenderedObjectsTest.only(RenderedObjectsTest.controller(objects)).getArgs()).contains("--tls-cert", "--tls-key");
        Chart.one(objects, NetworkPolicy.class, "gatehouse-controller");
        String docs = Files.readString(Chart.REPO.resolve("docs/channel.md"));
        for (String line : AllInOne.TLS_RECIPE.lines().toList()) {
            assertThat(manifest).contains("#   " + line + "\n");
            assertThat(docs).as("docs/channel.md shows the same lines").contains("\n" + line + "\n");
        }
    }

    @Test
    void theHeadersOpensslLinesMakeACertificateTheChannelServesAndTheProxyTrusts(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(openssl(), "openssl is not installed");
        List<String> commands = new ArrayList<>();
        StringBuilder command = new StringBuilder();
        for (String line : AllInOne.TLS_RECIPE.lines().toList()) {
            command.append(line.strip());
            if (line.endsWith("\\")) {
                command.setLength(command.length() - 1);
                continue;
            }
            String c = command.toString();
            command.setLength(0);
            if (!c.startsWith("kubectl ") && !c.startsWith("rm ")) {
                commands.add(c);
            }
        }
        assertThat(commands).hasSize(4);
        Process p = new ProcessBuilder("bash", "-euc", String.join("\n", commands)).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("the recipe runs: %s", out).isZero();

        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        byte[] ca = Files.readAllBytes(dir.resolve("ca.crt"));
        X509Certificate leaf = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("tls.crt"))));
        leaf.verify(x509.generateCertificate(new ByteArrayInputStream(ca)).getPublicKey());
        assertThat(leaf.getSubjectAlternativeNames()).hasSize(4);
        try (ChannelServer server = ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, "recipe-token-0123",
                dir.resolve("tls.crt"), dir.resolve("tls.key")))) {
            assertThat(ChannelTlsChartTest.handshake(server.port(), ca, ChannelTlsChartTest.SERVICE)).startsWith("TLSv1.");
            assertThatThrownBy(() -> ChannelTlsChartTest.handshake(server.port(), ca, "somewhere.else.svc"))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    private static boolean openssl() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
