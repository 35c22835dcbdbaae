package dev.gatehouse.proxy.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Http2FrameGuard} on bytes fed one at a time (every frame header and payload split at
 * every position): a valid header block with one empty CONTINUATION passes; a second empty
 * CONTINUATION in a row gets GOAWAY ENHANCE_YOUR_CALM and the connection closed.
 */
class Http2FrameGuardTest {
    private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    private static ByteArrayOutputStream prefaceAndSettings() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(out, 0x4, 0, 0, new byte[0]);
        return out;
    }

    /** A header block: :method GET, :scheme http, :path / (HPACK static table), then :authority a. */
    private static final byte[] BLOCK_START = {(byte) 0x82, (byte) 0x86, (byte) 0x84};
    private static final byte[] BLOCK_END = {0x41, 0x01, 'a'};

    private static EmbeddedChannel channel() {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer().build();
        // after the codec, as Http2ClientConnection: a connection error is answered by the codec, not rethrown
        return new EmbeddedChannel(new Http2FrameGuard(codec), codec, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            }
        });
    }

    private static void feedByteByByte(EmbeddedChannel ch, byte[] bytes) {
        for (byte b : bytes) {
            if (!ch.isOpen()) {
                return;
            }
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[]{b}));
        }
    }

    private static byte[] outbound(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            if (o instanceof ByteBuf b) {
                byte[] chunk = new byte[b.readableBytes()];
                b.readBytes(chunk);
                out.writeBytes(chunk);
            }
            ReferenceCountUtil.release(o);
        }
        return out.toByteArray();
    }

    /** The error code of the first GOAWAY in {@code bytes}; -1 when there is none. */
    private static long goAwayError(byte[] bytes) {
        int i = 0;
        while (i + 9 <= bytes.length) {
            int length = (bytes[i] & 0xff) << 16 | (bytes[i + 1] & 0xff) << 8 | (bytes[i + 2] & 0xff);
            if (bytes[i + 3] == 0x7) {
                int at = i + 9 + 4;
                return (bytes[at] & 0xffL) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8 | (bytes[at + 3] & 0xff);
            }
            i += 9 + length;
        }
        return -1;
    }

    @Test
    void aBlockWithOneEmptyContinuationPasses() {
        EmbeddedChannel ch = channel();
        ByteArrayOutputStream in = prefaceAndSettings();
        frame(in, 0x1, 0x1, 1, BLOCK_START);
        frame(in, 0x9, 0, 1, new byte[0]);
        frame(in, 0x9, 0x4, 1, BLOCK_END);
        feedByteByByte(ch, in.toByteArray());
        assertThat(ch.isOpen()).isTrue();
        assertThat(goAwayError(outbound(ch))).isEqualTo(-1);
        Object headers = ch.readInbound();
        assertThat(headers).as("the codec decoded the whole block").isNotNull();
        ReferenceCountUtil.release(headers);
        ch.finishAndReleaseAll();
    }

    @Test
    void aSecondEmptyContinuationInARowIsAFlood() {
        EmbeddedChannel ch = channel();
        ByteArrayOutputStream in = prefaceAndSettings();
        frame(in, 0x1, 0x1, 1, BLOCK_START);
        frame(in, 0x9, 0, 1, new byte[0]);
        frame(in, 0x9, 0, 1, new byte[0]);
        frame(in, 0x9, 0, 1, new byte[0]);
        feedByteByByte(ch, in.toByteArray());
        assertThat(goAwayError(outbound(ch))).isEqualTo(0xb); // ENHANCE_YOUR_CALM
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
