package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What our decoder refuses beyond Netty's, and how it ends: responses Netty reads leniently
 * and a proxy should not pass on, a {@code 101}'s raw rest, bodies cut by the close.
 */
class ResponseDecoderTest {
    private static Decoded ours(String... reads) {
        return Decoded.ours(List.of(HttpMethod.GET), java.util.Arrays.stream(reads)
                .map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList());
    }

    private static void refused(String response, String why) {
        Decoded d = ours(response);
        assertThat(d.refused()).as(response).isTrue();
        assertThat(d.cause()).contains(why);
    }

    @Test
    void obsFoldIsRefused() {
        refused("HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", "obs-fold");
    }

    @Test
    void aTransferCodingOtherThanChunkedIsRefused() {
        refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "other than one \"chunked\"");
        refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", "other than one \"chunked\"");
    }

    @Test
    void chunkedWithAContentLengthIsRefused() {
        refused("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "together");
    }

    @Test
    void controlBytesAndBareLineEndsAreRefused() {
        refused("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", "control character");
        refused("HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 0\r\n\r\n", "control character");
        refused("HTTP/1.1 200 OK\nContent-Length: 0\n\n", "bare LF");
        refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n", "bare LF");
    }

    @Test
    void chunkDataMustEndInCrlf() {
        refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX\r\n0\r\n\r\n", "not followed by CRLF");
    }

    @Test
    void oddVersionsAndStatusCodesAreRefused() {
        refused("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.0 or HTTP/1.1");
        refused("HTTP/1.1 0200 OK\r\nContent-Length: 0\r\n\r\n", "100..599");
        refused("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "followed by a space");
        refused("HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n", "100..599");
        refused("HTTP/1.1 +20 OK\r\nContent-Length: 0\r\n\r\n", "100..599");
    }

    @Test
    void aNonTokenFieldNameIsRefused() {
        refused("HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 0\r\n\r\n", "token name");
        refused("HTTP/1.1 200 OK\r\n: 1\r\nContent-Length: 0\r\n\r\n", "token name");
    }

    @Test
    void whatFollowsA101IsHandedOnAsRawBytes() {
        Decoded d = ours("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0002hi", "more");
        assertThat(d.refused()).isFalse();
        assertThat(d.events()).containsExactly("HEAD HTTP/1.1 101 [Switching Protocols] |Upgrade=websocket", "BODY ", "TRAILERS",
                "RAW 4", "RAW 4");
    }

    @Test
    void aBodyWithoutFramingEndsWithTheConnection() {
        Decoded d = ours("HTTP/1.1 200 OK\r\n\r\nab", "cd");
        assertThat(d.events()).containsExactly("HEAD HTTP/1.1 200 [OK]", "BODY 61626364", "TRAILERS");
    }

    @Test
    void aCloseInsideAFramedBodyEndsNothing() {
        Decoded d = ours("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
        assertThat(d.refused()).isFalse();
        assertThat(d.events()).as("no last content: the handler sees the close first").containsExactly("HEAD HTTP/1.1 200 [OK] |Content-Length=10");
        Decoded chunked = ours("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
        assertThat(chunked.events()).containsExactly("HEAD HTTP/1.1 200 [OK] |Transfer-Encoding=chunked");
    }

    @Test
    void aHugeChunkSizeIsRefused() {
        refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n80000000\r\n", "7fffffff");
    }
}
