package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * WebSocket over TLS ({@code wss}) through the TLS port, with key-auth: refused before any upgrade
 * without a key; with one, the target gets the upgrade as on the cleartext port but with
 * {@code X-Forwarded-Proto: https} and the TLS port, without the key and with the consumer's
 * headers; frames echo through the TLS tunnel both ways; a close from either side reaches the
 * other, then the client sees the TLS connection end cleanly (end of stream) and the tunnel is gone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketTlsTest extends TlsTestBase {
    private static final String KEY = "alice-key";
    private static TestCerts.Leaf chat;

    private WebSocketBackend ws;
    private PrometheusMeterRegistry registry;

    @BeforeAll
    static void certificates() throws Exception {
        chat = ca.leaf("chat", "chat.example");
    }

    @BeforeEach
    void start() throws Exception {
        ws = new WebSocketBackend();
        closeables.add(ws);
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)), registry);
        Consumer alice = new Consumer("uid-alice", Fixtures.source("Consumer", "default/alice"), "alice", "crm-42",
                List.of(new Consumer.Credential("cred-alice", KeyDigest.of(KEY))));
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/ws", "default/ws-up")),
                List.of(route("default/chat", "default/ws").paths("/chat").stripPath(false)
                        .keyAuth(new Route.KeyAuth(List.of("apikey"), true, true, true, null)).build()),
                List.of(upstream("default/ws-up", ws.port())), List.of(alice),
                List.of(chat.certificate("default/chat-tls", "chat.example"))))).isEmpty();
    }

    private RawWebSocket connect() throws Exception {
        return new RawWebSocket(TlsClient.connect(ca.clientContext(), proxy.tlsPort(), "chat.example"));
    }

    private double gauge(String name) {
        return PrometheusText.parse(registry.scrape()).value(name);
    }

    private void awaitNoTunnel() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (gauge("gatehouse_websocket_tunnels") != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gauge("gatehouse_websocket_tunnels")).isEqualTo(0.0);
    }

    private double closed(String outcome) {
        return PrometheusText.parse(registry.scrape()).value("gatehouse_websocket_tunnels_closed_total", "route", "default/chat",
                "service", "default/ws", "outcome", outcome);
    }

    @Test
    void keyAuthThenTheTargetSeesTheHttpsUpgradeAndFramesEchoUntilTheClientCloses() throws Exception {
        try (RawWebSocket c = connect()) {
            c.write(RawWebSocket.upgrade("/chat/room", ""));
            assertThat(c.readHead()).startsWith("HTTP/1.1 401 ");
        }
        assertThat(ws.heads).as("the target never saw the refused upgrade").isEmpty();

        try (RawWebSocket c = connect()) {
            c.write(RawWebSocket.upgrade("/chat/room?v=1", "apikey: " + KEY + "\r\nX-Consumer-ID: forged\r\nX-Request-Id: wss-1\r\n"));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
                    .contains("\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
            assertThat(ws.heads).containsExactly("GET /chat/room?v=1 HTTP/1.1\r\n"
                    + "Sec-WebSocket-Key: " + RawWebSocket.KEY + "\r\n"
                    + "Sec-WebSocket-Version: 13\r\n"
                    + "x-request-id: wss-1\r\n"
                    + "connection: upgrade\r\n"
                    + "upgrade: websocket\r\n"
                    + "x-forwarded-for: 127.0.0.1\r\n"
                    + "x-forwarded-proto: https\r\n"
                    + "x-forwarded-host: chat.example\r\n"
                    + "x-forwarded-port: " + proxy.tlsPort() + "\r\n"
                    + "via: 1.1 gatehouse\r\n"
                    + "x-consumer-id: uid-alice\r\n"
                    + "x-consumer-custom-id: crm-42\r\n"
                    + "x-consumer-username: alice\r\n"
                    + "x-credential-identifier: cred-alice\r\n"
                    + "host: 127.0.0.1:" + ws.port() + "\r\n\r\n");
            assertThat(gauge("gatehouse_websocket_tunnels")).isEqualTo(1.0);

            c.write(RawWebSocket.text("hello over wss"));
            assertThat(c.readFrame().text()).isEqualTo("hello over wss");
            byte[] big = new byte[256 * 1024]; // many TLS records each way
            new Random(7).nextBytes(big);
            c.write(RawWebSocket.frame(RawWebSocket.BINARY, big));
            RawWebSocket.Frame echoed = c.readFrame();
            assertThat(echoed.opcode()).isEqualTo(RawWebSocket.BINARY);
            assertThat(echoed.payload()).isEqualTo(big);

            c.write(RawWebSocket.close(1000));
            assertThat(ws.closeCodes.poll(5, TimeUnit.SECONDS)).as("the target got the client's close frame").isEqualTo(1000);
            RawWebSocket.Frame close = c.readFrame();
            assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
            assertThat(close.closeCode()).isEqualTo(1000);
            assertThat(c.read()).as("a clean end of the TLS connection").isEqualTo(-1);
        }
        ws.closed.get(0).get(5, TimeUnit.SECONDS);
        awaitNoTunnel();
        assertThat(closed("upstream_closed") + closed("client_closed")).isEqualTo(1.0);
    }

    @Test
    void whenTheTargetClosesTheWssClientGetsTheCloseFrameThenAnEndOfStream() throws Exception {
        try (RawWebSocket c = connect()) {
            c.write(RawWebSocket.upgrade("/chat", "apikey: " + KEY + "\r\n"));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
            Channel target = ws.opened.poll(5, TimeUnit.SECONDS);
            target.writeAndFlush(new CloseWebSocketFrame(1001, "going away")).addListener(ChannelFutureListener.CLOSE);
            RawWebSocket.Frame close = c.readFrame();
            assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(c.read()).as("a clean end of the TLS connection").isEqualTo(-1);
        }
        awaitNoTunnel();
        assertThat(closed("upstream_closed")).isEqualTo(1.0);
    }
}
