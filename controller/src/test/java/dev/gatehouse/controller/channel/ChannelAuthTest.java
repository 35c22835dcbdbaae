package dev.gatehouse.controller.channel;

import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ChannelAuthTest extends ChannelTestBase {
    private static final String TOKEN = "s3cret-Token-7f1c";

    private ChannelServer server;

    private ChannelServer tokenServer() {
        server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, null, null));
        server.publish(Snapshots.v(1));
        return server;
    }

    private ChannelClient clientWith(String token, MemorySink sink) {
        return client(ChannelClientConfig.of(uri(server), token, "p1"), sink);
    }

    private void assertTokenNeverLogged() {
        assertThat(logs.containing(TOKEN)).as("log lines holding the token").isEmpty();
        assertThat(logs.containing("s3cret")).isEmpty();
    }

    @Test
    void theRightTokenIsLetIn() {
        tokenServer();
        MemorySink sink = new MemorySink();
        ChannelClient client = clientWith(TOKEN, sink);
        Poll.until("acked", () -> oneProxyAcked(server, 1));
        assertThat(client.connected()).isTrue();
        assertThat(logs.containing("event=channel.refused")).isEmpty();
        assertTokenNeverLogged();
    }

    @Test
    void aWrongTokenIsRefusedAndRetriedWithoutLoggingTheToken() {
        tokenServer();
        MemorySink sink = new MemorySink();
        ChannelClient client = clientWith("wrong-" + TOKEN, sink);
        Poll.until("server refused", () -> !logs.containing("event=channel.refused reason=bad-token").isEmpty());
        Poll.until("client saw 401", () -> !logs.containing("event=channel.refused reason=unauthorized").isEmpty());
        // it keeps trying, quietly
        Poll.until("several attempts", () -> logs.containing("event=channel.refused reason=bad-token").size() >= 3);
        assertThat(logs.containing("event=channel.refused reason=unauthorized")).hasSizeLessThan(3);
        assertThat(client.connected()).isFalse();
        assertThat(server.connectedCount()).isZero();
        assertThat(sink.offered()).isEmpty();
        assertThat(logs.containing("event=channel.refused reason=bad-token").get(0))
                .contains("remote=127.0.0.1:").contains("header=present");
        assertTokenNeverLogged();
    }

    @Test
    void aMissingTokenIsRefused() {
        tokenServer();
        MemorySink sink = new MemorySink();
        ChannelClient client = clientWith(null, sink);
        Poll.until("server refused", () -> !logs.containing("event=channel.refused reason=bad-token").isEmpty());
        assertThat(logs.containing("event=channel.refused reason=bad-token").get(0)).contains("header=absent");
        Poll.until("client saw 401", () -> !logs.containing("event=channel.refused reason=unauthorized").isEmpty());
        assertThat(client.connected()).isFalse();
        assertThat(sink.offered()).isEmpty();
        assertTokenNeverLogged();
    }

    @Test
    void aFixedTokenGetsInOnALaterAttempt() {
        // the proxy keeps retrying after a 401: once the server accepts its token, it connects
        server = server(new ChannelServerConfig("127.0.0.1", 0, TOKEN, null, null));
        int port = server.port();
        MemorySink sink = new MemorySink();
        client(ChannelClientConfig.of(uri(server), "old-token", "p1"), sink);
        Poll.until("refused", () -> !logs.containing("event=channel.refused reason=unauthorized").isEmpty());
        server.close();
        server = server(new ChannelServerConfig("127.0.0.1", port, "old-token", null, null));
        server.publish(Snapshots.v(1));
        Poll.until(Duration.ofSeconds(20), "connected with the rotated token", () -> oneProxyAcked(server, 1));
    }

    @Test
    void anUpgradeWithoutTokenGets401AndAClosedConnection() throws IOException {
        tokenServer();
        String response = rawUpgrade(null);
        assertThat(response).startsWith("HTTP/1.1 401 Unauthorized\r\n")
                .containsIgnoringCase("www-authenticate: Bearer")
                .endsWith("unauthorized\n");
        assertThat(rawUpgrade("Bearer nope")).startsWith("HTTP/1.1 401 Unauthorized\r\n");
        assertThat(rawUpgrade("Basic " + TOKEN)).startsWith("HTTP/1.1 401 Unauthorized\r\n");
        assertThat(rawUpgrade("Bearer " + TOKEN)).startsWith("HTTP/1.1 101 Switching Protocols\r\n");
        assertTokenNeverLogged();
    }

    @Test
    void anotherPathIs404() throws IOException {
        tokenServer();
        assertThat(raw("GET /v2/other HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found\r\n");
    }

    /** Sends an upgrade request and reads until the server closes (or for 101, the response head). */
    private String rawUpgrade(String authorization) throws IOException {
        return raw("GET " + ChannelServer.PATH + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + "\r\n");
    }

    private String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) != -1) {
                sb.append((char) b);
                if (sb.indexOf("101 Switching Protocols") >= 0 && sb.indexOf("\r\n\r\n") >= 0) {
                    break;
                }
            }
            return sb.toString();
        }
    }
}
