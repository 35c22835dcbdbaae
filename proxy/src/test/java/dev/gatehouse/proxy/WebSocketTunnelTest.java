package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * WebSocket through the proxy over real sockets, against a real WebSocket server (Netty's) and
 * real clients (the JDK's, and {@link RawWebSocket} where the bytes matter): key-auth before the
 * upgrade, the head the target receives, echo both ways, no byte lost at the hand-over, answers
 * other than 101, closes from either side, and the meters.
 */
class WebSocketTunnelTest extends ProxyTestBase {
    private static final String KEY = "alice-key";

    private WebSocketBackend ws;
    private RawBackend plain;
    private PrometheusMeterRegistry registry;
    private final ExecutorService clientPool = Executors.newCachedThreadPool();

    private int deadPort;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        ws = new WebSocketBackend();
        closeables.add(ws);
        plain = new RawBackend();
        closeables.add(plain);
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        proxy = ProxyServer.start(Fixtures.config(), registry);
        Consumer alice = new Consumer("uid-alice", Fixtures.source("Consumer", "default/alice"), "alice", "crm-42",
                List.of(new Consumer.Credential("cred-alice", KeyDigest.of(KEY))));
        assertThat(proxy.apply(Fixtures.snapshot(1,
                List.of(service("default/ws", "default/ws-up"), service("default/plain", "default/plain-up"),
                        service("default/retry", "default/retry-up")),
                List.of(route("default/chat", "default/ws").paths("/chat").stripPath(false)
                                .keyAuth(new Route.KeyAuth(List.of("apikey"), true, true, true, null)).build(),
                        route("default/open", "default/ws").paths("/open").build(),
                        route("default/plain", "default/plain").paths("/plain").build(),
                        route("default/retry", "default/retry").paths("/retry").build()),
                List.of(upstream("default/ws-up", ws.port()), upstream("default/plain-up", plain.port()),
                        upstream("default/retry-up", deadPort, ws.port())),
                List.of(alice)))).isEmpty();
    }

    @AfterEach
    void stopClients() {
        clientPool.shutdownNow();
    }

    private PrometheusText metrics() {
        return PrometheusText.parse(registry.scrape());
    }

    /** Waits (bounded) until no tunnel is open, as the gauge says. */
    private void awaitNoTunnel() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (metrics().value("gatehouse_websocket_tunnels") != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(metrics().value("gatehouse_websocket_tunnels")).isEqualTo(0.0);
    }

    private static double closed(PrometheusText m, String route, String outcome) {
        return m.value("gatehouse_websocket_tunnels_closed_total", "route", route, "service", "default/ws", "outcome", outcome);
    }

    /** Collects whole messages (text as String, binary as byte[]) and the close. */
    private static final class Collector implements WebSocket.Listener {
        final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                messages.add(binary.toByteArray());
                binary.reset();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }
    }

    private CompletableFuture<WebSocket> connect(String path, Collector collector, String... headers) {
        WebSocket.Builder b = HttpClient.newBuilder().executor(clientPool).build().newWebSocketBuilder();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + path), collector);
    }

    @Test
    void keyAuthAnswers401BeforeAnyUpgradeThenTheTunnelEchoesTextBinaryAndOneMebibyte() throws Exception {
        assertThatThrownBy(() -> connect("/chat/room", new Collector()).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
        assertThat(ws.heads).as("the target never saw the refused upgrade").isEmpty();

        Collector c = new Collector();
        WebSocket socket = connect("/chat/room", c, "apikey", KEY).get(10, TimeUnit.SECONDS);
        assertThat(metrics().value("gatehouse_websocket_tunnels")).isEqualTo(1.0);
        String target = "127.0.0.1:" + ws.port();
        assertThat(metrics().value("gatehouse_upstream_target_in_flight", "upstream", "default/ws-up", "target", target))
                .as("the target is busy with the tunnel while it is open").isEqualTo(1.0);
        socket.sendText("hello through the proxy", true).get(5, TimeUnit.SECONDS);
        assertThat(c.messages.poll(5, TimeUnit.SECONDS)).isEqualTo("hello through the proxy");
        socket.sendBinary(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff}), true).get(5, TimeUnit.SECONDS);
        assertThat((byte[]) c.messages.poll(5, TimeUnit.SECONDS)).containsExactly(0, 1, 2, 0xff);

        Random random = new Random(42);
        byte[] mebibyte = new byte[1 << 20];
        random.nextBytes(mebibyte);
        socket.sendBinary(ByteBuffer.wrap(mebibyte), true).get(10, TimeUnit.SECONDS);
        assertThat((byte[]) c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(mebibyte);
        String text = "x".repeat(1 << 19) + "é".repeat(1 << 18); // 1 MiB of UTF-8, two-byte characters included
        socket.sendText(text, true).get(10, TimeUnit.SECONDS);
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(text);

        socket.sendClose(1000, "done").get(5, TimeUnit.SECONDS);
        assertThat(ws.closeCodes.poll(5, TimeUnit.SECONDS)).as("the target got the client's close frame").isEqualTo(1000);
        assertThat(c.closed.get(5, TimeUnit.SECONDS)).as("the client got the target's").isEqualTo(1000);
        ws.closed.get(0).get(5, TimeUnit.SECONDS);
        awaitNoTunnel();
        PrometheusText m = metrics();
        assertThat(m.value("gatehouse_upstream_target_in_flight", "upstream", "default/ws-up", "target", target)).isEqualTo(0.0);
        // after the close handshake both close TCP at about the same time (the target first, RFC 6455 §7.1.1)
        assertThat(closed(m, "default/chat", "upstream_closed") + closed(m, "default/chat", "client_closed")).isEqualTo(1.0);
        assertThat(m.value("gatehouse_requests_total", "route", "default/chat", "service", "default/ws", "status_class", "1xx"))
                .as("the 101").isEqualTo(1.0);
        assertThat(m.value("gatehouse_requests_total", "route", "default/chat", "service", "default/ws", "status_class", "4xx"))
                .as("the 401").isEqualTo(1.0);
    }

    @Test
    void theTargetGetsTheUpgradeWithForwardedAndConsumerHeadersAndWithoutTheKey() throws Exception {
        try (RawWebSocket c = new RawWebSocket(proxy.port())) {
            c.write(RawWebSocket.upgrade("/chat/room?v=1", "apikey: " + KEY + "\r\nX-Consumer-ID: forged\r\n"
                    + "Sec-WebSocket-Protocol: chat\r\nOrigin: https://chat.example\r\nX-Request-Id: ws-1\r\n"));
            String head = c.readHead();
            assertThat(head).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
                    .containsIgnoringCase("\r\nupgrade: websocket\r\n").containsIgnoringCase("\r\nconnection: upgrade\r\n")
                    .contains("\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") // RFC 6455 §1.3's example
                    .contains("\r\nx-request-id: ws-1\r\n").contains("\r\nvia: 1.1 gatehouse\r\n")
                    .doesNotContainIgnoringCase("content-length").doesNotContainIgnoringCase("transfer-encoding");

            assertThat(ws.heads).containsExactly("GET /chat/room?v=1 HTTP/1.1\r\n"
                    + "Sec-WebSocket-Key: " + RawWebSocket.KEY + "\r\n"
                    + "Sec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: chat\r\n"
                    + "Origin: https://chat.example\r\n"
                    + "x-request-id: ws-1\r\n"
                    + "connection: upgrade\r\n"
                    + "upgrade: websocket\r\n"
                    + "x-forwarded-for: 127.0.0.1\r\n"
                    + "x-forwarded-proto: http\r\n"
                    + "x-forwarded-host: chat.example\r\n"
                    + "x-forwarded-port: " + proxy.port() + "\r\n"
                    + "via: 1.1 gatehouse\r\n"
                    + "x-consumer-id: uid-alice\r\n"
                    + "x-consumer-custom-id: crm-42\r\n"
                    + "x-consumer-username: alice\r\n"
                    + "x-credential-identifier: cred-alice\r\n"
                    + "host: 127.0.0.1:" + ws.port() + "\r\n\r\n");

            c.write(RawWebSocket.text("after the handshake"));
            assertThat(c.readFrame().text()).isEqualTo("after the handshake");
        }
    }

    @Test
    void framesThatCameWithTheUpgradeRequestOrWithThe101AreNotLost() throws Exception {
        try (RawWebSocket c = new RawWebSocket(proxy.port())) {
            // a client that does not wait for the 101 (RFC 6455 §4.1 says it must): its frame waits in the decoder
            byte[] upgrade = RawWebSocket.upgrade("/open", "").getBytes(StandardCharsets.ISO_8859_1);
            byte[] early = RawWebSocket.text("early");
            byte[] both = new byte[upgrade.length + early.length];
            System.arraycopy(upgrade, 0, both, 0, upgrade.length);
            System.arraycopy(early, 0, both, upgrade.length, early.length);
            c.write(both);
            assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
            assertThat(c.readFrame().text()).isEqualTo("early");
        }

        // a target that sends its first frame in the same write as the 101: it waits in the client codec
        try (ServerSocket eager = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    Socket s = eager.accept();
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (head.indexOf("\r\n\r\n") < 0) {
                        head.append((char) in.read());
                    }
                    byte[] reply = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\u0081\u0005hello")
                            .getBytes(StandardCharsets.ISO_8859_1);
                    OutputStream out = s.getOutputStream();
                    out.write(reply);
                    out.flush();
                    return s;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, clientPool);
            assertThat(proxy.apply(Fixtures.snapshot(2, List.of(service("default/ws", "default/eager")),
                    List.of(route("default/open", "default/ws").paths("/open").build()),
                    List.of(upstream("default/eager", eager.getLocalPort())), List.of()))).isEmpty();
            try (RawWebSocket c = new RawWebSocket(proxy.port())) {
                c.write(RawWebSocket.upgrade("/open", ""));
                assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
                assertThat(c.readFrame().text()).isEqualTo("hello");
                accepted.get(5, TimeUnit.SECONDS).close();
                assertThat(c.read()).as("the target closed: so does the client's connection").isEqualTo(-1);
            }
        }
    }

    @Test
    void anUpgradeAnsweredWithoutA101IsAPlainResponseAndTheConnectionStaysHttp() throws Exception {
        plain.responder(r -> {
            String body = r.header("upgrade").isEmpty() ? r.path() : "no websocket here (" + r.header("upgrade") + ", "
                    + r.header("connection") + ")";
            int status = r.header("upgrade").isEmpty() || r.path().equals("/ok") ? 200 : 400;
            return ("HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.ISO_8859_1);
        });
        try (TestClient c = new TestClient(proxy.port())) {
            c.write(RawWebSocket.upgrade("/plain/refuse", ""));
            TestClient.Response refused = c.read(false);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).isEqualTo("no websocket here ([websocket], [upgrade])");
            c.write("GET /plain/next HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("/next");

            // the next request pipelined behind the upgrade request: held by the decoder, then served
            c.write(RawWebSocket.upgrade("/plain/ok", "") + "GET /plain/after HTTP/1.1\r\nHost: a\r\n\r\n");
            TestClient.Response ok = c.read(false);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.header("upgrade")).isNull();
            assertThat(c.read(false).body()).isEqualTo("/after");
        }
        assertThat(plain.connections()).as("one upstream connection, reused").isEqualTo(1);
        assertThat(metrics().value("gatehouse_websocket_tunnels")).isEqualTo(0.0);
    }

    @Test
    void onlyWebSocketIsSwitchedToAndOnlyWhenAsked() throws Exception {
        plain.responder(r -> (r.path().equals("/switch")
                ? "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").getBytes(StandardCharsets.ISO_8859_1));
        TestClient.Response h2c = TestClient.raw(proxy.port(), "GET /plain/h2c HTTP/1.1\r\nHost: a\r\n"
                + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
        assertThat(h2c.status()).isEqualTo(200);
        RawBackend.Request seen = plain.requests.get(0);
        assertThat(seen.header("upgrade")).isEmpty();
        assertThat(seen.header("http2-settings")).isEmpty();
        assertThat(seen.header("connection")).isEmpty();

        TestClient.Response switched = TestClient.raw(proxy.port(), "GET /plain/switch HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(switched.status()).as("a 101 nobody asked for is a malformed answer").isEqualTo(502);
        TestClient.Response toH2c = TestClient.raw(proxy.port(), RawWebSocket.upgrade("/plain/switch", ""));
        assertThat(toH2c.status()).as("a 101 to another protocol than the one asked for").isEqualTo(502);
    }

    @Test
    void anUpgradeIsRetriedOnAnotherTargetBeforeThe101() throws Exception {
        for (int i = 0; i < 2; i++) {
            try (RawWebSocket c = new RawWebSocket(proxy.port())) {
                c.write(RawWebSocket.upgrade("/retry", ""));
                assertThat(c.readHead()).as("one of the two goes to the dead target first").startsWith("HTTP/1.1 101 ");
                c.write(RawWebSocket.text("after a retry " + i));
                assertThat(c.readFrame().text()).isEqualTo("after a retry " + i);
            }
        }
        assertThat(metrics().value("gatehouse_retries_total", "route", "default/retry", "service", "default/retry"))
                .isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void anInvalidOpeningHandshakeIsRefusedByTheGate() throws Exception {
        String good = RawWebSocket.upgrade("/open", "");
        for (String bad : List.of(good.replace("GET ", "POST "), good.replace("HTTP/1.1", "HTTP/1.0"),
                good.replace("Sec-WebSocket-Key: " + RawWebSocket.KEY + "\r\n", ""),
                good.replace(RawWebSocket.KEY, "c2hvcnQ="), good.replace("Version: 13", "Version: 8"),
                good.replace("Version: 13\r\n", "Version: 13\r\nSec-WebSocket-Version: 13\r\n"),
                good.replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\nhello"))) {
            TestClient.Response r = TestClient.raw(proxy.port(), bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.body()).as(bad).contains("RFC 6455 §4.1");
            assertThat(r.header("connection")).isEqualTo("close");
        }
        assertThat(ws.heads).isEmpty();
    }

    @Test
    void whenTheTargetClosesTheClientGetsTheCloseFrameThenEndOfStream() throws Exception {
        try (RawWebSocket c = new RawWebSocket(proxy.port())) {
            c.write(RawWebSocket.upgrade("/open", ""));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
            Channel target = ws.opened.poll(5, TimeUnit.SECONDS);
            target.writeAndFlush(new CloseWebSocketFrame(1001, "going away")).addListener(ChannelFutureListener.CLOSE);
            RawWebSocket.Frame close = c.readFrame();
            assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(c.read()).isEqualTo(-1);
        }
        awaitNoTunnel();
        assertThat(closed(metrics(), "default/open", "upstream_closed")).isEqualTo(1.0);
    }

    @Test
    void whenTheClientGoesTheTargetSeesItsConnectionClose() throws Exception {
        try (RawWebSocket c = new RawWebSocket(proxy.port())) {
            c.write(RawWebSocket.upgrade("/open", ""));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
            c.write(RawWebSocket.close(1000));
            assertThat(ws.closeCodes.poll(5, TimeUnit.SECONDS)).isEqualTo(1000);
            assertThat(c.readFrame().closeCode()).isEqualTo(1000);
        }
        ws.closed.get(0).get(5, TimeUnit.SECONDS);

        try (RawWebSocket c = new RawWebSocket(proxy.port())) {
            c.write(RawWebSocket.upgrade("/open", ""));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
            c.socket.setSoLinger(true, 0); // close with a reset, no close frame
        }
        ws.closed.get(1).get(5, TimeUnit.SECONDS);
        awaitNoTunnel();
        PrometheusText m = metrics();
        assertThat(closed(m, "default/open", "client_closed")).as("the reset one at least").isGreaterThanOrEqualTo(1.0);
        assertThat(closed(m, "default/open", "upstream_closed") + closed(m, "default/open", "client_closed")).isEqualTo(2.0);
    }
}
