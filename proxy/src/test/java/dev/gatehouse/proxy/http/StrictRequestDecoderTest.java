package dev.gatehouse.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Obsolete line folding is refused wherever the bytes of the head are split. */
class StrictRequestDecoderTest {
    private static List<HttpObject> decode(String... parts) {
        EmbeddedChannel ch = new EmbeddedChannel(new StrictRequestDecoder());
        for (String p : parts) {
            ch.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.ISO_8859_1));
        }
        List<HttpObject> out = new ArrayList<>();
        for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
            out.add((HttpObject) o);
        }
        ch.finishAndReleaseAll();
        out.forEach(ReferenceCountUtil::release);
        return out;
    }

    private static boolean folded(List<HttpObject> out) {
        return out.stream().anyMatch(o -> o.decoderResult().isFailure()
                && o.decoderResult().cause().getMessage().equals(StrictRequestDecoder.OBS_FOLD));
    }

    @Test
    void foldInOneBufferIsRefused() {
        assertThat(folded(decode("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n"))).isTrue();
        assertThat(folded(decode("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\t2\r\n\r\n"))).isTrue();
    }

    @Test
    void foldSplitAcrossReadsIsRefused() {
        assertThat(folded(decode("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n", " 2\r\n\r\n"))).isTrue();
        assertThat(folded(decode("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r", "\n", "\t2\r\n\r\n"))).isTrue();
    }

    @Test
    void foldInTheSecondRequestOfAConnectionIsRefused() {
        List<HttpObject> out = decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n a\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n");
        assertThat(out.get(0)).isInstanceOf(HttpRequest.class);
        assertThat(out.get(0).decoderResult().isSuccess()).isTrue();
        assertThat(folded(out)).isTrue();
    }

    @Test
    void whitespaceInTheBodyIsNotAFold() {
        List<HttpObject> out = decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n", "\r\n x\r\n",
                "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(folded(out)).isFalse();
        assertThat(out.stream().filter(o -> o instanceof HttpRequest).map(o -> ((HttpRequest) o).uri()))
                .containsExactly("/", "/next");
        assertThat(out.stream().filter(o -> o instanceof LastHttpContent)).hasSize(2);
    }

    @Test
    void pipelinedRequestsInOneBufferDecode() {
        List<HttpObject> out = decode("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(out.stream().filter(o -> o instanceof HttpRequest).map(o -> ((HttpRequest) o).uri()))
                .containsExactly("/a", "/b");
        assertThat(out).allMatch(o -> o.decoderResult().isSuccess());
    }
}
