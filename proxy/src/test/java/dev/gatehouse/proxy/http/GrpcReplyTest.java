package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcReplyTest {
    @ParameterizedTest(name = "HTTP {0} -> grpc-status {1}")
    @CsvSource({
            "400, 13", "401, 16", "403, 7", "404, 12", "413, 8", "429, 14", "502, 14", "503, 14", "504, 4",
            "405, 2", "414, 2", "431, 2", "500, 2"})
    void proxyStatusMapsToGrpcStatus(int http, int grpc) {
        assertThat(GrpcReply.code(http)).isEqualTo(grpc);
    }

    @ParameterizedTest(name = "content-type {0} is gRPC: {1}")
    @CsvSource(delimiter = '|', value = {
            "application/grpc|true", "application/grpc+proto|true", "Application/GRPC+json|true",
            "application/grpc;charset=utf-8|true", "application/grpc-web|false", "application/grpcx|false",
            "application/json|false", "text/plain|false"})
    void grpcCallsAreKnownByTheirContentType(String type, boolean grpc) {
        HttpHeaders h = new DefaultHttpHeaders().set("content-type", type);
        assertThat(GrpcReply.isGrpc(h)).isEqualTo(grpc);
        assertThat(GrpcReply.isGrpc(new DefaultHttpHeaders())).isFalse();
    }

    @Test
    void messageIsPercentEncodedAsGrpcSays() {
        assertThat(GrpcReply.percentEncode("plain text: ok")).isEqualTo("plain text: ok");
        assertThat(GrpcReply.percentEncode("100% café\n")).isEqualTo("100%25 caf%C3%A9%0A");
        assertThat(GrpcReply.percentEncode("~")).isEqualTo("~");
    }

    @Test
    void replyIsTrailersOnly() {
        FullHttpResponse r = GrpcReply.of(HttpResponseStatus.UNAUTHORIZED, "No API key found in request", "rid-1", true);
        try {
            assertThat(r.status().code()).isEqualTo(200);
            assertThat(r.content().readableBytes()).isZero();
            assertThat(r.headers().get("content-type")).isEqualTo("application/grpc");
            assertThat(r.headers().get("grpc-status")).isEqualTo("16");
            assertThat(r.headers().get("grpc-message")).isEqualTo("No API key found in request");
            assertThat(r.headers().get("content-length")).isEqualTo("0");
            assertThat(r.headers().get("x-request-id")).isEqualTo("rid-1");
            assertThat(r.headers().get("connection")).isEqualTo("close");
            assertThat(r.trailingHeaders().isEmpty()).isTrue();
        } finally {
            r.release();
        }
    }
}
