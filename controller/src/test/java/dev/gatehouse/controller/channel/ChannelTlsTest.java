package dev.gatehouse.controller.channel;

import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelTlsTest extends ChannelTestBase {
    private static final String TOKEN = "tls-token-0d9e";

    @TempDir
    static Path certs;
    static SelfSignedPem pem;

    @BeforeAll
    static void makeCertificate() throws Exception {
        pem = SelfSignedPem.create(certs);
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
        Poll.until(Duration.ofSeconds(10), "acked over wss", () -> server.allAcked(1) && server.connectedCount() == 1);
        assertThat(sink.current()).isEqualTo(Snapshots.v(1));
    }

    @Test
    void theCertificateAsCaFileConnectsWithHostNameChecks() {
        ChannelServer server = tlsServer();
        MemorySink sink = new MemorySink();
        client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false, pem.cert()), sink);
        Poll.until(Duration.ofSeconds(10), "acked over wss", () -> server.allAcked(1) && server.connectedCount() == 1);
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefused(@TempDir Path dir) throws Exception {
        SelfSignedPem other = SelfSignedPem.create(dir, "other.example", "dns:other.example");
        ChannelServer server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, other.cert(), other.key()));
        MemorySink sink = new MemorySink();
        ChannelClient client = client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false,
                other.cert()), sink);
        Poll.until(Duration.ofSeconds(10), "hostname check failed",
                () -> !logs.containing("event=channel.connect-failed").isEmpty());
        assertThat(logs.containing("event=channel.connect-failed").get(0)).contains("CertificateException");
        assertThat(client.connected()).isFalse();
    }

    @Test
    void anUntrustedCertificateIsRefusedAndRetried() {
        ChannelServer server = tlsServer();
        MemorySink sink = new MemorySink();
        ChannelClient client = client(new ChannelClientConfig(wss(server, "127.0.0.1"), TOKEN, "p1", null, false, null), sink);
        Poll.until(Duration.ofSeconds(10), "handshake failure logged",
                () -> !logs.containing("event=channel.connect-failed").isEmpty());
        assertThat(client.connected()).isFalse();
        assertThat(server.connectedCount()).isZero();
        assertThat(logs.containing(TOKEN)).isEmpty();
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
