package dev.gatehouse.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The WebSocket opening handshake as the gate, the forwarder and the decoder see it. */
class WebSocketUpgradeTest {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void anUpgradeIsAskedByConnectionUpgradeAndUpgradeWebsocketTogether() {
        Map<HttpHeaders, Boolean> table = Map.of(
                headers("Connection", "Upgrade", "Upgrade", "websocket"), true,
                headers("Connection", "keep-alive, UPGRADE", "Upgrade", "WebSocket"), true,
                headers("Connection", "keep-alive", "Connection", "upgrade", "Upgrade", "h2c, websocket"), true,
                headers("Upgrade", "websocket"), false,
                headers("Connection", "Upgrade", "Upgrade", "h2c"), false,
                headers("Connection", "Upgrade"), false,
                headers("Connection", "upgrade-insecure", "Upgrade", "websocket"), false,
                headers("Connection", "Upgrade", "Upgrade", "websocketx"), false,
                headers(), false);
        table.forEach((h, asked) -> assertThat(WebSocketUpgrade.requested(h)).as(h.toString()).isEqualTo(asked));
    }

    private static HttpRequest upgrade(HttpMethod method, HttpVersion version, String... extra) {
        HttpRequest r = new DefaultHttpRequest(version, method, "/chat");
        r.headers().add("Host", "a").add("Connection", "Upgrade").add("Upgrade", "websocket")
                .add("Sec-WebSocket-Key", KEY).add("Sec-WebSocket-Version", "13");
        for (int i = 0; i < extra.length; i += 2) {
            if (extra[i + 1] == null) {
                r.headers().remove(extra[i]);
            } else {
                r.headers().add(extra[i], extra[i + 1]);
            }
        }
        return r;
    }

    @Test
    void onlyAValidRfc6455HandshakeIsLetThrough() {
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1))).isNull();
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Content-Length", "0"))).isNull();
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.POST, HttpVersion.HTTP_1_1))).contains("method POST");
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_0))).contains("HTTP/1.0");
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Content-Length", "2")))
                .contains("request body");
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked")))
                .contains("request body");
        for (String key : new String[] {null, "short", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZSE=", "!GhlIHNhbXBsZSBub25jZQ=="}) {
            HttpRequest r = upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Sec-WebSocket-Key", null);
            if (key != null) {
                r.headers().add("Sec-WebSocket-Key", key);
            }
            assertThat(WebSocketUpgrade.refusal(r)).as(String.valueOf(key)).startsWith("Sec-WebSocket-Key");
        }
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Sec-WebSocket-Key", KEY)))
                .as("repeated").startsWith("Sec-WebSocket-Key");
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Sec-WebSocket-Version", null,
                "Sec-WebSocket-Version", "8"))).startsWith("Sec-WebSocket-Version");
        assertThat(WebSocketUpgrade.refusal(upgrade(HttpMethod.GET, HttpVersion.HTTP_1_1, "Sec-WebSocket-Version", "13")))
                .as("repeated").startsWith("Sec-WebSocket-Version");
        assertThat(RequestGate.refusalOf(upgrade(HttpMethod.PUT, HttpVersion.HTTP_1_1)).status().code()).isEqualTo(400);
    }

    @Test
    void onlyA101ToWebsocketWithAnAcceptIsASwitch() {
        HttpResponse ok = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        ok.headers().add("Upgrade", "WebSocket").add("Connection", "Upgrade, X-Hop").add("X-Hop", "1").add("Content-Length", "0")
                .add("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").add("Sec-WebSocket-Protocol", "chat");
        assertThat(WebSocketUpgrade.accepted(ok)).isTrue();
        WebSocketUpgrade.rewriteResponse(ok);
        assertThat(ok.headers().names()).containsExactlyInAnyOrder("Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", "connection",
                "upgrade");
        assertThat(ok.headers().get("connection")).isEqualTo("upgrade");
        assertThat(ok.headers().get("upgrade")).isEqualTo("websocket");

        HttpResponse h2c = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        h2c.headers().add("Upgrade", "h2c").add("Connection", "Upgrade").add("Sec-WebSocket-Accept", "x");
        assertThat(WebSocketUpgrade.accepted(h2c)).isFalse();
        HttpResponse hixie = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        hixie.headers().add("Upgrade", "websocket").add("Connection", "Upgrade");
        assertThat(WebSocketUpgrade.accepted(hixie)).isFalse();
        HttpResponse notSwitching = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        notSwitching.headers().add("Upgrade", "websocket").add("Sec-WebSocket-Accept", "x");
        assertThat(WebSocketUpgrade.accepted(notSwitching)).isFalse();
    }

    private static final String UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n";

    @Test
    void theDecoderStopsAfterAnUpgradeRequestAndHandsOnWhatFollowsWhenRemoved() {
        EmbeddedChannel ch = new EmbeddedChannel(new StrictRequestDecoder());
        ch.writeInbound(Unpooled.copiedBuffer(UPGRADE + "\u0081\u0085frame", StandardCharsets.ISO_8859_1));
        assertThat((Object) ch.readInbound()).isInstanceOf(HttpRequest.class);
        assertThat((Object) ch.readInbound()).isInstanceOf(LastHttpContent.class);
        assertThat((Object) ch.readInbound()).as("the frame bytes are not parsed as HTTP").isNull();
        ch.pipeline().remove(StrictRequestDecoder.class);
        ByteBuf rest = ch.readInbound();
        assertThat(rest.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0085frame");
        rest.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void theDecoderResumesWithThePipelinedRequestWhenTheUpgradeWasNotSwitched() throws Exception {
        StrictRequestDecoder decoder = new StrictRequestDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.copiedBuffer(UPGRADE + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.ISO_8859_1));
        ReferenceCountUtil.release(ch.readInbound());
        ReferenceCountUtil.release(ch.readInbound());
        assertThat((Object) ch.readInbound()).isNull();
        decoder.resume();
        HttpRequest next = ch.readInbound();
        assertThat(next.uri()).isEqualTo("/next");
        assertThat((Object) ch.readInbound()).isInstanceOf(LastHttpContent.class);
        ch.writeInbound(Unpooled.copiedBuffer("GET /third HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.ISO_8859_1));
        assertThat(((HttpRequest) ch.readInbound()).uri()).as("decoding as usual again").isEqualTo("/third");
        assertThat(ch.finishAndReleaseAll()).isTrue();
    }
}
