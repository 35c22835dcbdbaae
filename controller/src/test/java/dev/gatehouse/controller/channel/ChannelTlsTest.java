package dev.gatehouse.controller.channel;

import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelTlsTest extends ChannelTestBase {
    private static final String TOKEN = "tls-token-0d9e";

    @TempDir
    static Path certs;
    static SelfSignedPem pem;
    /** Two CAs, each with a certificate for localhost and 127.0.0.1 (keytool is slow: made once). */
    static TestCa right;
    static TestCa wrong;

    @BeforeAll
    static void makeCertificates() throws Exception {
        pem = SelfSignedPem.create(certs);
        right = TestCa.create(certs.resolve("right"), "right-ca", "dns:localhost,ip:127.0.0.1");
        wrong = TestCa.create(certs.resolve("wrong"), "wrong-ca", "dns:localhost,ip:127.0.0.1");
    }

    private ChannelServer tlsServer() {
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, pem.cert(), pem.key()));
        server.publish(Snapshots.v(1));
        return server;
    }

    private static URI wss(ChannelServer server, String host) {
        return URI.create("wss://" + host + ":" + server.port() + ChannelServer.PATH);
    }

    @Test
    void insecureSkipVerifyConnectsOverTls() {
        ChannelServer server = tlsServer();
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, true, null), sink);
        Poll.until(Duration.ofSeconds(10), "acked over wss", () -> oneProxyAcked(server, 1));
        assertThat(sink.current()).isEqualTo(Snapshots.v(1));
    }

    @Test
    void theCertificateAsCaFileConnectsWithHostNameChecks() {
        ChannelServer server = tlsServer();
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false, pem.cert()), sink);
        Poll.until(Duration.ofSeconds(10), "acked over wss", () -> oneProxyAcked(server, 1));
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefused(@TempDir Path dir) throws Exception {
        SelfSignedPem other = SelfSignedPem.create(dir, "other.example", "dns:other.example");
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, other.cert(), other.key()));
        MemorySink sink = new MemorySink();
        ChannelClient client = client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false,
                other.cert()), sink);
        Poll.until(Duration.ofSeconds(10), "hostname check failed",
                () -> !logs.containing("event=channel.refused").isEmpty());
        assertThat(logs.containing("event=channel.refused").get(0))
                .contains("reason=certificate-name-mismatch ").contains("CertificateException")
                .contains("fix=\"the controller's certificate does not name the host of --controller");
        assertThat(client.connected()).isFalse();
    }

    @Test
    void aCertificateSignedByThePinnedCaConnects() {
        TestCa ca = right;
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, ca.cert(), ca.key()));
        server.publish(Snapshots.v(1));
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "localhost"), TOKEN, "p1", null, false, ca.caCert()), sink);
        Poll.until(Duration.ofSeconds(10), "acked over wss", () -> oneProxyAcked(server, 1));
        assertThat(logs.containing("event=channel.starting").get(0)).contains("tls=pinned-ca");
    }

    @Test
    void aProxyPinnedToAnotherCaIsRefusedSaysSoInOneLineAndRetries() {
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, right.cert(), right.key()));
        server.publish(Snapshots.v(1));
        MemorySink sink = new MemorySink();
        ChannelClient client = client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false,
                wrong.caCert()), sink);
        Poll.until(Duration.ofSeconds(10), "refusal logged", () -> !logs.containing("event=channel.refused").isEmpty());
        assertThat(logs.containing("event=channel.refused").get(0))
                .contains("reason=untrusted-certificate ").contains("ca-file=" + wrong.caCert())
                .contains("fix=\"the controller's certificate is not signed by the CA in ca-file");
        // the server sees each refused handshake; the proxy keeps trying but logs the run once
        Poll.until(Duration.ofSeconds(20), "a second refused attempt", () -> logs.containing("event=channel.error").size() >= 2);
        assertThat(logs.containing("event=channel.refused")).hasSize(1);
        assertThat(client.connected()).isFalse();
        assertThat(server.connectedCount()).isZero();
        assertThat(sink.current()).isNull();
        assertThat(logs.containing(TOKEN)).isEmpty();
    }

    @Test
    void aRotatedCaFileIsTrustedAtTheNextAttemptWithoutARestart(@TempDir Path dir) throws Exception {
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, right.cert(), right.key()));
        server.publish(Snapshots.v(1));
        Path pinned = dir.resolve("pinned-ca.crt");
        Files.copy(wrong.caCert(), pinned);
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false, pinned), sink);
        Poll.until(Duration.ofSeconds(10), "refused", () -> !logs.containing("event=channel.refused").isEmpty());
        Files.copy(right.caCert(), pinned, StandardCopyOption.REPLACE_EXISTING);
        Poll.until(Duration.ofSeconds(20), "acked once the CA file changed", () -> oneProxyAcked(server, 1));
        assertThat(logs.containing("event=channel.ca-reloaded")).hasSize(1);
    }

    @Test
    void aRotatedServerCertificateServesNewConnectionsWithoutARestart(@TempDir Path dir) throws Exception {
        TestCa first = right;
        TestCa second = wrong;
        Path cert = Files.copy(first.cert(), dir.resolve("tls.crt"));
        Path key = Files.copy(first.key(), dir.resolve("tls.key"));
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, cert, key));
        server.publish(Snapshots.v(1));
        assertThat(server.reloadTls()).as("unchanged files").isFalse();
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false, second.caCert()), sink);
        Poll.until(Duration.ofSeconds(10), "refused", () -> !logs.containing("event=channel.refused").isEmpty());

        Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
        assertThat(server.reloadTls()).as("a key without its certificate is not loaded").isFalse();
        assertThat(logs.containing("event=channel.tls-reload-failed")).singleElement().asString()
                .contains("does not belong").contains("action=kept-previous");
        Files.copy(second.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        assertThat(server.reloadTls()).isTrue();
        Poll.until(Duration.ofSeconds(20), "acked with the new certificate", () -> oneProxyAcked(server, 1));
    }

    @Test
    void helmAndOpensslKeyFormatsLoad(@TempDir Path dir) throws Exception {
        TestCa ca = right;
        java.security.PrivateKey pkcs8 = PemFiles.privateKey(Files.readAllBytes(ca.key()));
        Path sec1 = dir.resolve("sec1.key");
        Files.writeString(sec1, TestCa.pem("EC PRIVATE KEY", PemFilesTest.sec1((java.security.interfaces.ECPrivateKey) pkcs8)));
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, ca.cert(), sec1));
        server.publish(Snapshots.v(1));
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false, ca.caCert()), sink);
        Poll.until(Duration.ofSeconds(10), "acked over wss with a SEC1 key", () -> oneProxyAcked(server, 1));
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateFailsAtStart() {
        TestCa one = right;
        TestCa two = wrong;
        assertThatThrownBy(() -> ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, null, one.cert(), two.key())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tlsCert, tlsKey: cannot load")
                .hasMessageContaining("the key does not belong to the first certificate of " + one.cert());
    }

    @Test
    void aPlainClientCannotTalkToATlsServer() {
        ChannelServer server = tlsServer();
        MemorySink sink = new MemorySink();
        ChannelClient client = client(ChannelClientConfig.of(uri(server), TOKEN, "p1"), sink);
        Poll.until(Duration.ofSeconds(10), "failure logged", () -> !logs.containing("event=channel.connect-failed").isEmpty());
        Poll.until("server logged the plain text", () -> !logs.containing("event=channel.error").isEmpty());
        assertThat(client.connected()).isFalse();
        assertThat(logs.containing("event=channel.error").get(0)).contains("not-tls");
        // the request (and its Authorization header) must not reach the log in any form
        String hex = java.util.HexFormat.of().formatHex(TOKEN.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(logs.containing(TOKEN)).isEmpty();
        assertThat(logs.containing(hex)).isEmpty();
    }

    @Test
    void badTlsFilesFailAtStart(@TempDir Path dir) {
        assertThatThrownBy(() -> ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, null,
                dir.resolve("missing.pem"), dir.resolve("missing-key.pem"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tlsCert, tlsKey: cannot load");
    }
}
