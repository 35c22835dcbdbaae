package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.SnapshotPush;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-connection handler on an {@link EmbeddedChannel}: frames in, frames out. */
class ControllerSessionTest {
    private ChannelClient client;
    private TestSnapshots.Sink sink;
    private ControllerSession session;
    private EmbeddedChannel ch;

    @BeforeEach
    void setUp() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        // a client that dials nowhere; only its exchange logic is used here
        sink = new TestSnapshots.Sink(TestSnapshots.v(1));
        client = ChannelClient.start(ChannelClientConfig.of(
                URI.create("ws://127.0.0.1:" + closedPort + "/v1/channel"), null, "p1"), sink);
        session = new ControllerSession(client);
        ch = new EmbeddedChannel(session);
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        client.close();
    }

    /**
     * Waits until the client's apply thread has run what it was handed: it makes the answers and writes
     * them to this channel from its own thread, and an {@link EmbeddedChannel} is not safe to touch from
     * two threads at once: its queues are plain ones. Read while the apply thread could still be
     * flushing the hello, a clean-clone CI run once found the next write, the ping, missing.
     */
    private void settled() {
        try {
            client.awaitApplyThread();
        } catch (Exception e) {
            throw new AssertionError("the apply thread did not finish its work within 5 s", e);
        }
        ch.runPendingTasks();
    }

    /** The next message written, once the apply thread has made and written it. */
    private ChannelMessage written() {
        settled();
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(TextWebSocketFrame.class);
        TextWebSocketFrame f = (TextWebSocketFrame) out;
        try {
            return ChannelCodec.decode(ByteBufUtil.getBytes(f.content()));
        } finally {
            f.release();
        }
    }

    @Test
    void saysHelloWithWhatItServesOnceTheHandshakeCompletes() {
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertThat(written()).isEqualTo(new Hello(Hello.PROTOCOL, "p1", 1, SnapshotCodec.contentHash(TestSnapshots.v(1)), null,
                (long) ChannelClientConfig.DEFAULT_MAX_MESSAGE_BYTES, List.of(Hello.FEATURE_OBJECTS)));
        assertThat(session.handshaken()).isTrue();
    }

    @Test
    void answersAPushWithAnAck() {
        SnapshotPush push = SnapshotPush.of(TestSnapshots.v(2));
        ch.writeInbound(new TextWebSocketFrame(new String(ChannelCodec.encode(push), java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(written()).isEqualTo(Ack.of(2, push.hash()));
        assertThat(sink.current).isEqualTo(TestSnapshots.v(2));
    }

    @Test
    void aSnapshotItCannotReadIsNackedByVersionAndHash() {
        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"snapshot\",\"protocol\":1,\"version\":9,\"hash\":\"abc\","
                + "\"snapshot\":{\"version\":9,\"upstreams\":[{\"id\":\"a/b\",\"algorithm\":\"QUANTUM\"}]}}"));
        Nack nack = (Nack) written();
        assertThat(nack.version()).isEqualTo(9);
        assertThat(nack.hash()).isEqualTo("abc");
        assertThat(nack.errors()).singleElement().satisfies(e -> {
            assertThat(e.isSnapshotWide()).isTrue();
            assertThat(e.message()).contains("QUANTUM");
        });
        assertThat(sink.current).isEqualTo(TestSnapshots.v(1));
        assertThat(sink.offered).isEmpty();
    }

    @Test
    void otherGarbageIsLoggedAndIgnored() {
        ch.writeInbound(new TextWebSocketFrame("not json"));
        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"x\"}"));
        settled();
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isActive()).isTrue();
    }

    @Test
    void aCloseFromTheControllerIsEchoedAndRecorded() {
        ch.writeInbound(new CloseWebSocketFrame(1001, "going away"));
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOfSatisfying(CloseWebSocketFrame.class, c -> assertThat(c.statusCode()).isEqualTo(1001));
        ((CloseWebSocketFrame) out).release();
        assertThat(ch.isActive()).isFalse();
        assertThat(session.endReason()).isEqualTo("closed-by-controller status=1001 text='going away'");
    }

    @Test
    void pingsWhenQuietAndClosesWhenTheControllerIsSilent() {
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        written();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.WRITER_IDLE_STATE_EVENT);
        Object ping = ch.readOutbound();
        assertThat(ping).isInstanceOf(PingWebSocketFrame.class);
        ((PingWebSocketFrame) ping).release();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertThat(ch.isActive()).isFalse();
        assertThat(session.endReason()).isEqualTo("idle-timeout");
    }
}
