package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.channel.ChannelClient;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the server does with peers that break the protocol, keep-alive, and big snapshots. */
class ChannelProtocolTest extends ChannelTestBase {

    private RawPeer peer(ChannelServer server) {
        return track(new RawPeer(uri(server)));
    }

    @Test
    void anotherProtocolVersionIsClosedWith1002AndTheReason() {
        ChannelServer server = server();
        RawPeer peer = peer(server);
        peer.sendText("{\"type\":\"hello\",\"protocol\":2,\"proxyId\":\"future\"}");
        Poll.until("closed", () -> !peer.open());
        assertThat(peer.closeFrame).isEqualTo("1002 hello.protocol: 2 (expected: 1)");
        assertThat(server.connectedCount()).isZero();
        assertThat(logs.containing("event=channel.bad-message")).hasSize(1);
    }

    @Test
    void anUnknownTypeIsClosedWith1002() {
        ChannelServer server = server();
        RawPeer peer = peer(server);
        peer.sendText("{\"type\":\"delta\",\"protocol\":1}");
        Poll.until("closed", () -> !peer.open());
        assertThat(peer.closeFrame).isEqualTo("1002 type: 'delta' (expected: one of hello, snapshot, endpoints, objects, ack, nack)");
    }

    @Test
    void anAckBeforeHelloIsAPolicyViolation() {
        ChannelServer server = server();
        RawPeer peer = peer(server);
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":1,\"hash\":\"h\"}");
        Poll.until("closed", () -> !peer.open());
        assertThat(peer.closeFrame).isEqualTo("1008 expected: hello first");
    }

    @Test
    void aProxyIdThatWouldBreakALogLineIsRefused() {
        ChannelServer server = server();
        RawPeer peer = peer(server);
        peer.sendText("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"p1\\nevent=forged\",\"lastVersion\":0}");
        Poll.until("closed", () -> !peer.open());
        assertThat(peer.closeFrame).isEqualTo("1008 proxyId: expected 1..253 printable ASCII characters");
        assertThat(server.connectedCount()).isZero();
    }

    @Test
    void binaryFramesAreRefusedWith1003() {
        ChannelServer server = server();
        RawPeer peer = peer(server);
        peer.sendBinary(RawPeer.utf8(RawPeer.hello("p")));
        Poll.until("closed", () -> !peer.open());
        assertThat(peer.closeFrame).startsWith("1003 ");
    }

    @Test
    void aSecondHelloIsIgnoredAndASnapshotFromAProxyIsRefused() {
        ChannelServer server = server();
        server.publish(Snapshots.v(1));
        RawPeer peer = peer(server);
        peer.sendText(RawPeer.hello("raw"));
        Poll.until("push received", () -> peer.texts.size() == 1);
        SnapshotPush push = (SnapshotPush) ChannelCodec.decode(RawPeer.utf8(peer.texts.get(0)));
        assertThat(push.snapshot()).isEqualTo(Snapshots.v(1));
        assertThat(push.hash()).isEqualTo(SnapshotCodec.contentHash(Snapshots.v(1)));
        peer.sendText(RawPeer.hello("raw-again"));
        assertThat(server.proxies()).extracting(ProxyState::proxyId).containsExactly("raw");
        peer.sendText(new String(ChannelCodec.encode(push), StandardCharsets.UTF_8));
        Poll.until("closed", () -> !peer.open());
        assertThat(peer.closeFrame).isEqualTo("1008 expected: hello, ack or nack from a proxy");
        Poll.until("unregistered", () -> server.connectedCount() == 0);
    }

    @Test
    void anUnansweredPushHoldsBackTheNextUntilTheAnswer() {
        ChannelServer server = server();
        server.publish(Snapshots.v(1));
        RawPeer peer = peer(server);
        peer.sendText(RawPeer.hello("raw"));
        Poll.until("v1 received", () -> peer.texts.size() == 1);
        server.publish(Snapshots.v(2));
        server.publish(Snapshots.v(3));
        Poll.never(Duration.ofMillis(200), "a second push before the answer", () -> peer.texts.size() > 1);
        assertThat(server.proxies().get(0).lastPushedVersion()).isEqualTo(1);
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":1,\"hash\":\""
                + SnapshotCodec.contentHash(Snapshots.v(1)) + "\"}");
        Poll.until("v3 received", () -> peer.texts.size() == 2);
        assertThat(((SnapshotPush) ChannelCodec.decode(RawPeer.utf8(peer.texts.get(1)))).version()).isEqualTo(3);
        assertThat(server.allAcked(1)).isTrue();
        assertThat(server.allAcked(3)).isFalse();
    }

    @Test
    void aSilentPeerIsPingedThenClosed() throws Exception {
        ChannelServer server = track(ChannelServer.start(ChannelServerConfig.loopback(0),
                new KeepAlive(Duration.ofMillis(100), Duration.ofMillis(400))));
        // taken before the connection: the server's timer starts no sooner, however late this thread runs
        long start = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + ChannelServer.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101 ");
            List<Integer> opcodes = new ArrayList<>();
            int b;
            while ((b = in.read()) != -1) {
                int len = in.read() & 0x7f;   // server frames are unmasked and short here
                opcodes.add(b & 0x0f);
                in.readNBytes(len);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            // pings (opcode 9), then the protocol handler's close frame (opcode 8) as it closes
            assertThat(opcodes).as("frames received").contains(9).endsWith(8);
            assertThat(opcodes.subList(0, opcodes.size() - 1)).allMatch(op -> op == 9);
            // not closed before its 400 ms timeout; how late it closes is the machine's load, bounded by the read timeout
            assertThat(millis).isGreaterThanOrEqualTo(300L);
        }
        Poll.until("idle timeout logged", () -> !logs.containing("event=channel.idle-timeout").isEmpty());
    }

    @Test
    void aLiveProxyAnswersPingsAndStaysConnected() {
        ChannelServer server = track(ChannelServer.start(ChannelServerConfig.loopback(0),
                new KeepAlive(Duration.ofMillis(100), Duration.ofMillis(400))));
        MemorySink sink = new MemorySink();
        ChannelClient client = client(server, "p1", sink);
        Poll.until("connected", () -> server.connectedCount() == 1);
        Poll.never(Duration.ofMillis(1_200), "a disconnect", () -> server.connectedCount() != 1 || !client.connected());
        assertThat(logs.containing("event=channel.idle-timeout")).isEmpty();
    }

    @Test
    void aBigSnapshotCrossesInOnePiece() {
        ChannelServer server = server();
        MemorySink sink = new MemorySink();
        client(server, "p1", sink);
        Snapshot big = big(5, 4_000, 12);
        server.publish(big);
        Poll.until(Duration.ofSeconds(20), "big snapshot acked", () -> oneProxyAcked(server, 5));
        assertThat(sink.current()).isEqualTo(big);
        assertThat(logs.containing("event=channel.push ").get(0)).satisfies(l ->
                assertThat(Long.parseLong(l.replaceAll(".*bytes=(\\d+).*", "$1"))).isGreaterThan(4_000_000L));
    }

    /** {@code upstreams} upstreams of {@code targets} targets each, with a route and service per upstream. */
    static Snapshot big(long version, int upstreams, int targets) {
        List<Service> services = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        List<Upstream> ups = new ArrayList<>();
        for (int i = 0; i < upstreams; i++) {
            String name = "svc-" + i;
            Source us = new Source("Upstream", "load", name, "u-" + i, 1);
            List<Upstream.Target> ts = new ArrayList<>();
            for (int t = 0; t < targets; t++) {
                ts.add(new Upstream.Target("10." + (i / 250) + "." + (i % 250) + "." + t, 8080, 100));
            }
            ups.add(new Upstream("load/" + name, us, Upstream.Algorithm.ROUND_ROBIN, null, null, ts, null, 0));
            services.add(new Service("load/" + name, new Source("GatewayService", "load", name, "s-" + i, 1),
                    "load/" + name, Service.Protocol.HTTP, "/", null, 2, Service.Timeouts.DEFAULT));
            routes.add(new Route("load/" + name, new Source("GatewayRoute", "load", name, "r-" + i, 1), "load/" + name,
                    List.of(), List.of("/" + name), List.of(), null, false, false, 0, null));
        }
        return new Snapshot(version, services, routes, ups, List.of());
    }

    private static String readHead(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        while (sb.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b == -1) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
