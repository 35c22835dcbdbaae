package dev.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * HTTP/2 frames written by hand over a plain socket, for the abuse tests: Netty's frame writer
 * encodes them (into an embedded channel, whose bytes are copied to the socket), so a test can
 * send what no well-behaved client would (a reset flood, a header block that never ends). Frames
 * from the proxy are read as type, flags, stream and payload.
 */
final class RawH2 implements AutoCloseable {
    static final byte DATA = 0x0;
    static final byte HEADERS = 0x1;
    static final byte RST_STREAM = 0x3;
    static final byte SETTINGS = 0x4;
    static final byte GOAWAY = 0x7;
    static final byte CONTINUATION = 0x9;

    /** One frame from the proxy. */
    record Frame(int type, int flags, int streamId, byte[] payload) {
        /** The error code of a RST_STREAM or GOAWAY. */
        long errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xffL) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final EmbeddedChannel sink = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
    private final ChannelHandlerContext ctx = sink.pipeline().firstContext();
    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();

    RawH2(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        out = socket.getOutputStream();
    }

    /** The client preface and SETTINGS, then the ACK of the proxy's SETTINGS (which applies its limits). */
    void handshake() throws IOException {
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
        send();
        Frame settings = until(f -> f.type() == SETTINGS && (f.flags() & 0x1) == 0);
        if (settings == null) {
            throw new EOFException("no SETTINGS from the proxy");
        }
        writer.writeSettingsAck(ctx, ctx.newPromise());
        send();
    }

    RawH2 headers(int streamId, Http2Headers headers, boolean endStream) {
        writer.writeHeaders(ctx, streamId, headers, 0, endStream, ctx.newPromise());
        return this;
    }

    RawH2 data(int streamId, byte[] payload, boolean endStream) {
        writer.writeData(ctx, streamId, sink.alloc().buffer().writeBytes(payload), 0, endStream, ctx.newPromise());
        return this;
    }

    RawH2 rst(int streamId, Http2Error error) {
        writer.writeRstStream(ctx, streamId, error.code(), ctx.newPromise());
        return this;
    }

    /** Any frame, its payload as given (a CONTINUATION, a HEADERS without END_HEADERS). */
    RawH2 frame(byte type, int streamId, int flags, byte[] payload) {
        writer.writeFrame(ctx, type, streamId, new Http2Flags((short) flags), sink.alloc().buffer().writeBytes(payload),
                ctx.newPromise());
        return this;
    }

    /** Writes what was framed so far to the socket. */
    void send() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        sink.flushOutbound();
        for (ByteBuf b = sink.readOutbound(); b != null; b = sink.readOutbound()) {
            b.readBytes(bytes, b.readableBytes());
            b.release();
        }
        out.write(bytes.toByteArray());
        out.flush();
    }

    /** The next frame; null once the proxy closed the connection. */
    Frame read() throws IOException {
        try {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            return new Frame(type, flags, stream, payload);
        } catch (EOFException | SocketException e) {
            return null;
        }
    }

    /** Reads frames until one matches; null when the connection ends first. */
    Frame until(Predicate<Frame> match) throws IOException {
        for (Frame f = read(); f != null; f = read()) {
            if (match.test(f)) {
                return f;
            }
        }
        return null;
    }

    /** Reads frames until one matches; null when none came within {@code millis} (or the connection ended). */
    Frame untilWithin(Predicate<Frame> match, int millis) throws IOException {
        int before = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return until(match);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(before);
        }
    }

    @Override
    public void close() throws IOException {
        sink.finishAndReleaseAll();
        socket.close();
    }
}
