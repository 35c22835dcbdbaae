package dev.gatehouse.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The gate on EmbeddedChannel: what passes carries its request id, what does not is answered and closed. */
class RequestGateTest {
    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new StrictRequestDecoder(), new RequestGate());
    }

    @Test
    void goodRequestPassesWithTheClientsRequestId() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.copiedBuffer("GET /x HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-1\r\n\r\n", StandardCharsets.US_ASCII));
        HttpRequest req = ch.readInbound();
        assertThat(req.headers().get("x-request-id")).isEqualTo("abc-1");
        ReferenceCountUtil.release(ch.readInbound());
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void badRequestIsReplacedByABadRequestAndNothingAfterItPasses() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.copiedBuffer("GET /\u00e9 HTTP/1.1\r\nHost: a\r\nX-Request-Id: r1\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.ISO_8859_1));
        BadRequest bad = ch.readInbound();
        assertThat(bad.status().code()).isEqualTo(400);
        assertThat(bad.requestId()).isEqualTo("r1");
        assertThat(bad.message()).contains("invalid request target");
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void badChunkCarriesTheIdOfItsRequest() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.copiedBuffer("POST / HTTP/1.1\r\nHost: a\r\nX-Request-Id: r2\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", StandardCharsets.ISO_8859_1));
        HttpRequest req = ch.readInbound();
        assertThat(req.uri()).isEqualTo("/");
        BadRequest bad = ch.readInbound();
        assertThat(bad.requestId()).isEqualTo("r2");
        assertThat(bad.message()).contains("chunked framing");
        ch.finishAndReleaseAll();
    }

    @Test
    void requestIdIsKeptOnlyWhenVisibleAsciiUpTo200() {
        assertThat(RequestId.accept("a-b_c.1")).isEqualTo("a-b_c.1");
        assertThat(RequestId.accept("x".repeat(200))).hasSize(200);
        assertThat(RequestId.accept("x".repeat(201))).hasSize(36);
        assertThat(RequestId.accept("has space")).hasSize(36).isNotEqualTo("has space");
        assertThat(RequestId.accept("")).hasSize(36);
        assertThat(RequestId.accept(null)).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    }

    @Test
    void errorBodyEscapesJson() {
        assertThat(new String(ErrorReply.json("m", "a\"b\\c"), StandardCharsets.UTF_8))
                .isEqualTo("{\"message\":\"m\",\"request_id\":\"a\\\"b\\\\c\"}");
    }
}
