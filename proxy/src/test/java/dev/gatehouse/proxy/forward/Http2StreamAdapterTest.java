package dev.gatehouse.proxy.forward;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP/2 stream as the exchange sees it: like an HTTP/1.1 connection's decoder output. */
class Http2StreamAdapterTest {
    @Test
    void requestCarriesTeTrailers() {
        EmbeddedChannel ch = new EmbeddedChannel(Http2StreamAdapter.INSTANCE);
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/svc/Call");
        ch.writeOutbound(req);
        HttpRequest out = ch.readOutbound();
        assertThat(out.headers().get("te")).isEqualTo("trailers");
        assertThat(ch.finish()).isFalse();
    }

    /** A trailers-only gRPC answer arrives as one full response: the exchange gets a head, then a last content. */
    @Test
    void fullResponseBecomesHeadThenLastContent() {
        EmbeddedChannel ch = new EmbeddedChannel(Http2StreamAdapter.INSTANCE);
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer("b", StandardCharsets.UTF_8));
        full.headers().set("grpc-status", "5").set("x-http2-stream-id", "3");
        full.trailingHeaders().set("x-t", "1");
        ch.writeInbound(full);
        HttpResponse head = ch.readInbound();
        assertThat(head).isNotInstanceOf(HttpContent.class);
        assertThat(head.headers().get("grpc-status")).isEqualTo("5");
        assertThat(head.headers().contains("x-http2-stream-id")).isFalse();
        LastHttpContent last = ch.readInbound();
        assertThat(last.content().toString(StandardCharsets.UTF_8)).isEqualTo("b");
        assertThat(last.trailingHeaders().get("x-t")).isEqualTo("1");
        last.release();
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    /** A gRPC trailers-only answer: its status goes to the trailers, so it ends the response on HTTP/2 too. */
    @Test
    void grpcTrailersOnlyAnswerCarriesItsStatusAsTrailers() {
        EmbeddedChannel ch = new EmbeddedChannel(Http2StreamAdapter.INSTANCE);
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        full.headers().set("content-type", "application/grpc").set("grpc-status", "5").set("grpc-message", "no%20such")
                .set("grpc-status-details-bin", "CAU").set("x-other", "1");
        ch.writeInbound(full);
        HttpResponse head = ch.readInbound();
        assertThat(head.headers().get("content-type")).isEqualTo("application/grpc");
        assertThat(head.headers().get("x-other")).isEqualTo("1");
        assertThat(head.headers().contains("grpc-status")).isFalse();
        assertThat(head.headers().contains("grpc-message")).isFalse();
        LastHttpContent last = ch.readInbound();
        assertThat(last.trailingHeaders().get("grpc-status")).isEqualTo("5");
        assertThat(last.trailingHeaders().get("grpc-message")).isEqualTo("no%20such");
        assertThat(last.trailingHeaders().get("grpc-status-details-bin")).isEqualTo("CAU");
        last.release();
        assertThat(ch.finish()).isFalse();
    }

    /** A 103 head is followed by an empty last content, as the HTTP/1.1 decoder ends every informational response. */
    @Test
    void informationalHeadIsClosedByAnEmptyLastContent() {
        EmbeddedChannel ch = new EmbeddedChannel(Http2StreamAdapter.INSTANCE);
        ch.writeInbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(103)));
        ch.writeInbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertThat(((HttpResponse) ch.readInbound()).status().code()).isEqualTo(103);
        assertThat((Object) ch.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(((HttpResponse) ch.readInbound()).status().code()).isEqualTo(200);
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }
}
