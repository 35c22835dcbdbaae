package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which heads a connection parses into again (docs/decisions.md, "Heads kept per connection"):
 * the target's response heads only while their reader takes each at once, a client's request
 * heads only once released, and never one released twice or one that is still out.
 */
class HeadsKeptTest {
    private static final String RESPONSES = "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-B: 2\r\nX-C: 3\r\n\r\n";

    /** The heads handed on for two responses, each turned into text as it came (as a reader that takes it at once). */
    private static List<Object> heads(boolean atOnce, List<String> texts) {
        UpstreamCodec codec = new UpstreamCodec();
        codec.headsReadAtOnce(atOnce);
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER));
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER));
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ReferenceCountUtil.release(o);
        }
        List<Object> heads = new ArrayList<>();
        byte[] bytes = RESPONSES.getBytes(StandardCharsets.ISO_8859_1);
        int half = RESPONSES.indexOf("HTTP/1.1 404");
        for (byte[] read : new byte[][] {java.util.Arrays.copyOf(bytes, half), java.util.Arrays.copyOfRange(bytes, half, bytes.length)}) {
            ch.writeInbound(Unpooled.wrappedBuffer(read));
            for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
                if (o instanceof HttpResponse res) {
                    heads.add(res);
                    texts.add(res.status().code() + " " + res.headers().entries());
                }
                ReferenceCountUtil.release(o);
            }
        }
        ch.finishAndReleaseAll();
        return heads;
    }

    @Test
    void aTargetConnectionParsesItsNextResponseHeadIntoTheLastOnlyWhileItsReaderTakesEachAtOnce() {
        List<String> kept = new ArrayList<>();
        List<Object> same = heads(true, kept);
        assertThat(same).hasSize(2);
        assertThat(same.get(1)).as("the second head parsed into the first").isSameAs(same.get(0));
        List<String> fresh = new ArrayList<>();
        List<Object> own = heads(false, fresh);
        assertThat(own.get(1)).as("an HTTP/2 client's heads: objects of their own").isNotSameAs(own.get(0));
        assertThat(kept).isEqualTo(fresh).containsExactly("200 [X-A=1, Content-Length=0]", "404 [Content-Length=0, X-B=2, X-C=3]");
    }

    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static ParsedRequest parse(RequestHeads heads, String head) {
        ByteBuf in = buf(head);
        try {
            return heads.parse(in, 0, in.writerIndex(), (int) head.lines().filter(l -> l.contains(":")).count());
        } finally {
            in.release();
        }
    }

    @Test
    void aClientConnectionParsesIntoAHeadOnlyOnceItWasReleasedAndKeepsTwo() {
        RequestHeads heads = new RequestHeads();
        ParsedRequest a = parse(heads, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: " + "a".repeat(300) + "\r\n\r\n");
        a.headers().set("x-request-id", "id-a");
        a.headers().remove("x-a");
        a.requestId("id-a");
        ParsedRequest b = parse(heads, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(b).as("a head still out is never parsed into").isNotSameAs(a);
        a.release();
        a.release(); // once only: a second release must not hand it out twice
        assertThat(heads.free()).isEqualTo(1);
        ParsedRequest c = parse(heads, "GET /c HTTP/1.0\r\nX-C: c\r\n\r\n");
        assertThat(c).isSameAs(a);
        assertThat(c.method()).isEqualTo(HttpMethod.GET);
        assertThat(c.uri()).isEqualTo("/c");
        assertThat(c.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_0);
        assertThat(c.contentLength()).isEqualTo(-1);
        assertThat(c.chunked()).isFalse();
        assertThat(c.requestId()).as("nothing of the head before").isNull();
        assertThat(c.headers().entries()).extracting(Object::toString).containsExactly("X-C=c");
        ParsedRequest d = parse(heads, "GET /d HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(d).isNotSameAs(a).isNotSameAs(b);
        b.release();
        c.release();
        d.release();
        assertThat(heads.free()).as("at most two kept").isEqualTo(2);
    }

    @Test
    void aRefusedHeadLeavesTheReleasedOneFreeAndAHugeOneIsNotKeptAsABuffer() {
        RequestHeads heads = new RequestHeads();
        ParsedRequest a = parse(heads, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
        a.release();
        assertThatThrownBy(() -> parse(heads, "GET /a HTTP/1.1\r\nBad Name: h\r\n\r\n")).isInstanceOf(MalformedRequest.class);
        assertThat(heads.free()).isEqualTo(1);
        String hugeHead = "GET /h HTTP/1.1\r\nX-H: " + "h".repeat(9000) + "\r\n\r\n";
        ParsedRequest huge = parse(heads, hugeHead);
        assertThat(huge).isSameAs(a);
        assertThat(huge.headers().get("x-h")).hasSize(9000);
        assertThat(huge.headers().bytes()).as("a head over 8 KiB in an exact buffer").hasSize(hugeHead.length());
        huge.release();
        ParsedRequest small = parse(heads, "GET /s HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(small.headers().bytes().length).as("the next head's buffer is small again").isLessThanOrEqualTo(HeadParser.KEPT_BUFFER);
        assertThat(small.uri()).isEqualTo("/s");
    }
}
