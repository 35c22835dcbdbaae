package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.http1.MalformedRequest;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.proxy.http1.RequestHeadParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;

import java.util.List;

/**
 * A request's body, framed as its head says ({@link ParsedRequest#chunked()},
 * {@link ParsedRequest#contentLength()}): a Content-Length body as slices of the received buffers
 * (no copy, at most {@link StrictRequestDecoder#MAX_CHUNK_SIZE} bytes each), a chunked body
 * de-chunked (RFC 9112 §7.1) with its trailers on the last content. Chunk-size lines: optional
 * leading whitespace, hex digits up to 2^31-1, optional whitespace, optional extensions without
 * control characters, CRLF, at most {@value #MAX_LINE} bytes; chunk data followed by exactly
 * CRLF; trailer fields read as head fields are, at most {@value #MAX_TRAILERS} bytes. Anything
 * else is a {@link MalformedRequest}.
 */
final class RequestBodyFraming {
    static final int MAX_LINE = 8192;
    static final int MAX_TRAILERS = 65536;
    static final String BAD_CHUNK = "bad chunked framing (expected: chunk-size [ext] CRLF data CRLF, RFC 9112 §7.1)";

    private enum State { FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS }

    private State state;
    private long remaining;

    /** Starts the body of {@code req}; true when it has none (its end is handed on by the caller). */
    boolean start(ParsedRequest req) {
        if (req.chunked()) {
            state = State.CHUNK_SIZE;
            return false;
        }
        if (req.contentLength() > 0) {
            state = State.FIXED;
            remaining = req.contentLength();
            return false;
        }
        return true;
    }

    /** Decodes what arrived of the body; true once its end was handed on. */
    boolean decode(ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            switch (state) {
                case FIXED -> {
                    int n = (int) Math.min(Math.min(in.readableBytes(), remaining), StrictRequestDecoder.MAX_CHUNK_SIZE);
                    ByteBuf part = in.readRetainedSlice(n);
                    remaining -= n;
                    if (remaining == 0) {
                        out.add(new DefaultLastHttpContent(part, EmptyHttpHeaders.INSTANCE));
                        return true;
                    }
                    out.add(new DefaultHttpContent(part));
                }
                case CHUNK_SIZE -> {
                    if (!chunkSize(in)) {
                        return false;
                    }
                }
                case CHUNK_DATA -> {
                    int n = (int) Math.min(Math.min(in.readableBytes(), remaining), StrictRequestDecoder.MAX_CHUNK_SIZE);
                    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.CHUNK_END;
                    }
                }
                case CHUNK_END -> {
                    if (in.getByte(in.readerIndex()) != '\r') {
                        throw new MalformedRequest(BAD_CHUNK);
                    }
                    if (in.readableBytes() < 2) {
                        return false;
                    }
                    if (in.getByte(in.readerIndex() + 1) != '\n') {
                        throw new MalformedRequest(BAD_CHUNK);
                    }
                    in.skipBytes(2);
                    state = State.CHUNK_SIZE;
                }
                case TRAILERS -> {
                    return trailers(in, out);
                }
                default -> throw new IllegalStateException(String.valueOf(state));
            }
        }
        return false;
    }

    private boolean chunkSize(ByteBuf in) {
        int start = in.readerIndex();
        int lf = in.indexOf(start, Math.min(in.writerIndex(), start + MAX_LINE + 1), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > MAX_LINE) {
                throw new MalformedRequest(BAD_CHUNK);
            }
            return false;
        }
        if (lf == start || in.getByte(lf - 1) != '\r') {
            throw new MalformedRequest(RequestHeadParser.BARE_LF);
        }
        int end = lf - 1;
        int i = start;
        while (i < end && isSpace(in.getByte(i))) {
            i++;
        }
        int digits = i;
        long size = 0;
        while (i < end && size <= Integer.MAX_VALUE && Character.digit(in.getByte(i), 16) >= 0) {
            size = size * 16 + Character.digit(in.getByte(i), 16);
            i++;
        }
        if (i == digits || size > Integer.MAX_VALUE) {
            throw new MalformedRequest(BAD_CHUNK);
        }
        while (i < end && isSpace(in.getByte(i))) {
            i++;
        }
        if (i < end && in.getByte(i) != ';') {
            throw new MalformedRequest(BAD_CHUNK);
        }
        for (; i < end; i++) {
            int c = in.getByte(i) & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw new MalformedRequest(BAD_CHUNK);
            }
        }
        in.readerIndex(lf + 1);
        remaining = size;
        state = size == 0 ? State.TRAILERS : State.CHUNK_DATA;
        return true;
    }

    /** The trailer section after the last chunk: an empty line, or fields then one. */
    private boolean trailers(ByteBuf in, List<Object> out) {
        int r = in.readerIndex();
        int limit = in.writerIndex();
        int pos = r;
        while (true) {
            int lf = pos < limit ? in.forEachByte(pos, limit - pos, ByteProcessor.FIND_LF) : -1;
            if (lf < 0) {
                if (limit - r > MAX_TRAILERS) {
                    throw new MalformedRequest(BAD_CHUNK);
                }
                return false;
            }
            if (lf == pos || in.getByte(lf - 1) != '\r') {
                throw new MalformedRequest(RequestHeadParser.BARE_LF);
            }
            if (lf == pos + 1) {
                break; // the empty line
            }
            pos = lf + 1;
        }
        int end = pos + 2;
        if (end - r == 2) {
            in.skipBytes(2);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            byte[] bytes = new byte[end - r];
            in.readBytes(bytes);
            out.add(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, RequestHeadParser.trailers(bytes)));
        }
        return true;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t';
    }
}
