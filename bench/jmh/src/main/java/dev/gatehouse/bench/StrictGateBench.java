package dev.gatehouse.bench;

import dev.gatehouse.proxy.http.StrictRequestDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;

/**
 * Decoding one typical request head (a browser-like GET of 12 headers, 520 bytes): the strict
 * gate ({@link StrictRequestDecoder}: its byte scan, then Netty's parse) against Netty's plain
 * {@link HttpRequestDecoder} on the same bytes, so the difference is what the gate adds. Both run
 * in an {@link EmbeddedChannel} (its pipeline cost is in both figures).
 */
@State(Scope.Thread)
public class StrictGateBench {
    static final String HEAD = "GET /api/v1/users/12345/profile?fields=name,email&page=2 HTTP/1.1\r\n"
            + "Host: api.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: application/json, text/plain, */*\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate, br\r\n"
            + "apikey: my-secret-key\r\n"
            + "X-Request-Id: 4f1c2a9e-7b3d-4e8f-9a01-23456789abcd\r\n"
            + "Referer: https://app.example.com/dashboard\r\n"
            + "Origin: https://app.example.com\r\n"
            + "Connection: keep-alive\r\n"
            + "Cookie: session=abc123; theme=dark\r\n"
            + "Sec-Fetch-Mode: cors\r\n"
            + "\r\n";

    @Param({"strict", "netty"})
    public String decoder;

    private byte[] head;
    private EmbeddedChannel channel;

    @Setup
    public void setUp() {
        head = HEAD.getBytes(StandardCharsets.ISO_8859_1);
        channel = new EmbeddedChannel(decoder.equals("strict") ? new StrictRequestDecoder() : new HttpRequestDecoder());
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public int decode() {
        ByteBuf in = Unpooled.wrappedBuffer(head);
        channel.writeInbound(in);
        int n = 0;
        for (Object o = channel.readInbound(); o != null; o = channel.readInbound()) {
            n++;
            ReferenceCountUtil.release(o);
        }
        if (n != 2) { // the head and the empty last content
            throw new IllegalStateException("decoded " + n + " objects (expected: 2)");
        }
        return n;
    }
}
