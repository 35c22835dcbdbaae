package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ByteProcessor;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Decodes the responses of a target's HTTP/1.1 connection into a {@link ParsedResponse} (its
 * fields as offsets into one copy of the head's bytes, {@link HeadParser}), then the body as
 * {@code HttpContent}s that are slices of the received buffers (no copy), the last one a
 * {@code LastHttpContent} (with the trailers of a chunked body). The body is framed as RFC 9112
 * §6.3 says, strictly:
 * <ul>
 *   <li>no body for a 1xx, 204 or 304, or in answer to {@code HEAD} (the method of each request
 *       comes from {@link UpstreamCodec}'s encoder); a {@code 101} ends HTTP on the connection:
 *       what follows it is handed on as raw bytes (a WebSocket tunnel's);</li>
 *   <li>{@code Transfer-Encoding}: exactly {@code chunked}; any other coding is refused (the proxy
 *       would have to decode it to re-frame the body), and so is a {@code Content-Length} next to
 *       it (RFC 9112 §6.1: "ought to be handled as an error"), and any in an HTTP/1.0
 *       response (RFC 9112 §6.1: faulty framing);</li>
 *   <li>{@code Content-Length}: one field, digits only (RFC 9112 §6.2, RFC 9110 §8.6; a list like
 *       {@code 5, 5} is refused too), checked on every response, bodiless ones included;</li>
 *   <li>chunked (RFC 9112 §7.1): a chunk-size line of hex digits up to 2^31-1, optional
 *       whitespace, optional extensions (skipped, no control bytes), at most
 *       {@value #MAX_LINE} bytes; the data followed by exactly CRLF; then trailer
 *       fields, read as head fields are, {@code Content-Length}, {@code Transfer-Encoding} and
 *       {@code Trailer} dropped as Netty drops them;</li>
 *   <li>otherwise the body runs until the target closes the connection.</li>
 * </ul>
 * Every line ends in CRLF; a bare LF is refused, as Netty's decoder refuses it in a head (RFC
 * 9112 §2.2 lets a recipient choose). Limits (as the decoder this replaces had them): status line {@value #MAX_LINE} bytes, fields
 * (and trailers) {@value #MAX_FIELDS} bytes. A refused response is handed on as a
 * {@code LastHttpContent} whose decoder result is the failure ({@link MalformedResponse}); every
 * byte after it is dropped, so the connection's handler answers 502 (or cuts the client's
 * response short) and closes the connection, never pooling it. Every response Netty's
 * {@code HttpResponseDecoder} refuses is refused here too; some it takes are refused here (the
 * ones above marked refused that Netty reads leniently: obs-fold, control bytes, odd versions or
 * status codes, a chunk's data not followed by CRLF).
 */
public final class ResponseDecoder extends ByteToMessageDecoder {
    static final int MAX_LINE = 8192;
    static final int MAX_FIELDS = 65536;

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, UPGRADED, BROKEN }

    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    private State state = State.HEAD;
    private long remaining;
    /** Bytes from the reader index already searched for the end of the head (or trailers) under way. */
    private int scanned;
    /** Lines ended so far in the block being scanned ({@link #blockEnd}), so its parser sizes its offsets once. */
    private int lines;
    /** The field lines of the block {@link #blockEnd} found last. */
    private int blockFields;

    /**
     * Whether the heads of the responses to come are read to the end before the decoder hands on
     * the next one ({@link #headsReadAtOnce(boolean)}): then each is parsed into {@link #kept}.
     */
    private boolean headsReadAtOnce;
    /** The last head handed on, parsed into again for the next one while {@link #headsReadAtOnce}. */
    private ParsedResponse kept;

    /**
     * Says whether whoever takes the responses to come reads each head to the end before the next
     * one is decoded: an HTTP/1.1 client's connection does (its encoder writes the head within the
     * exchange's write, on this event loop, before this connection can go back to its pool and
     * carry another request), so the decoder parses every head into the same objects and buffer
     * ({@link #kept}). An HTTP/2 client's does not (a HEADERS frame may be encoded later, over
     * views of the head's bytes), so each of its heads gets objects of its own. Set by each attempt
     * that takes the connection, before its request is written.
     */
    public void headsReadAtOnce(boolean atOnce) {
        this.headsReadAtOnce = atOnce;
        if (!atOnce) {
            kept = null;
        }
    }

    /** A request went out on the connection: its response is read by its method (HEAD: no body). */
    void requestSent(HttpMethod method) {
        methods.add(method);
    }

    /**
     * True when the decoder holds nothing beyond the responses it handed on: no byte of a next
     * response, no response under way, no request awaiting its answer. Only then may the
     * connection carry another request: bytes a target sent beyond its answer are not the answer
     * to the next request (RFC 9112 §6.3: a client "MUST NOT process, cache, or forward such
     * extra data as a separate response"), so a connection that holds any is closed instead.
     * Meaningful while the end of a response is handed on: decoding stops at each response's end
     * ({@link #decode}), so what came after it is still in the buffer, not decoded yet.
     */
    boolean atRest() {
        return state == State.HEAD && scanned == 0 && methods.isEmpty() && actualReadableBytes() == 0;
    }

    /**
     * Decodes up to the end of one response (or of a 1xx), then returns, so that end is handed on
     * before any byte after it is decoded: the connection's handler sees, through
     * {@link #atRest}, whether the target sent more than its answer, before it pools the
     * connection or the next request is written on it.
     */
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.isReadable() && step(in, out) && state != State.HEAD) {
                // next part of the same response
            }
        } catch (MalformedResponse e) {
            state = State.BROKEN;
            in.skipBytes(in.readableBytes());
            LastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, EmptyHttpHeaders.INSTANCE);
            failed.setDecoderResult(DecoderResult.failure(e));
            out.add(failed);
        }
    }

    /** @return false when more bytes are needed */
    private boolean step(ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD:
                return head(in, out);
            case FIXED: {
                int n = (int) Math.min(in.readableBytes(), remaining);
                ByteBuf part = in.readRetainedSlice(n);
                remaining -= n;
                if (remaining == 0) {
                    state = State.HEAD;
                    out.add(new DefaultLastHttpContent(part, EmptyHttpHeaders.INSTANCE));
                } else {
                    out.add(new DefaultHttpContent(part));
                }
                return true;
            }
            case CHUNK_SIZE:
                return chunkSize(in);
            case CHUNK_DATA: {
                int n = (int) Math.min(in.readableBytes(), remaining);
                out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                remaining -= n;
                if (remaining == 0) {
                    state = State.CHUNK_END;
                }
                return true;
            }
            case CHUNK_END:
                return chunkEnd(in);
            case TRAILERS:
                return trailers(in, out);
            case UNTIL_CLOSE:
                out.add(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                return true;
            case UPGRADED:
                out.add(in.readRetainedSlice(in.readableBytes()));
                return true;
            default:
                in.skipBytes(in.readableBytes());
                return false;
        }
    }

    private boolean head(ByteBuf in, List<Object> out) {
        if (scanned == 0) {
            // empty lines before a status line are skipped, as Netty does (RFC 9112 §2.2)
            while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
                in.skipBytes(1);
            }
            if (!in.isReadable()) {
                return false;
            }
        }
        int end = blockEnd(in, MAX_LINE + MAX_FIELDS, true);
        if (end < 0) {
            return false;
        }
        int n = end - in.readerIndex();
        ParsedResponse into = headsReadAtOnce ? kept : null;
        byte[] bytes = HeadParser.buffer(into == null ? null : into.headers().bytes(), n);
        in.readBytes(bytes, 0, n);
        ParsedResponse res = HeadParser.response(bytes, n, MAX_LINE, MAX_FIELDS, blockFields, into);
        if (headsReadAtOnce) {
            kept = res;
        }
        HeadFields h = res.headers();
        int code = res.status().code();
        HttpMethod method = code >= 200 ? methods.poll() : null;
        long length = contentLength(h);
        boolean bodiless = code < 200 || code == 204 || code == 304 || method == HttpMethod.HEAD;
        if (res.protocolVersion() == HttpVersion.HTTP_1_0 && h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            throw new MalformedResponse("Transfer-Encoding in an HTTP/1.0 response (RFC 9112 §6.1)");
        }
        boolean chunked = !bodiless && chunked(h);
        if (chunked && length >= 0) {
            throw new MalformedResponse("Transfer-Encoding and Content-Length together (RFC 9112 §6.1)");
        }
        out.add(res);
        if (code == 101) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.UPGRADED;
            return false; // what follows is the tunnel's: handed on when this decoder leaves the pipeline
        } else if (bodiless || length == 0) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (length > 0) {
            remaining = length;
            state = State.FIXED;
        } else {
            state = State.UNTIL_CLOSE;
        }
        return true;
    }

    /**
     * The index just past the empty line that ends the block of lines at the reader index, or -1
     * while it has not arrived; refuses a block longer than {@code max}, and a first line longer
     * than {@value #MAX_LINE} when {@code statusLine}.
     */
    private int blockEnd(ByteBuf in, int max, boolean statusLine) {
        int start = in.readerIndex();
        int limit = in.writerIndex();
        int pos = start + scanned;
        while (true) {
            int lf = pos < limit ? in.forEachByte(pos, limit - pos, ByteProcessor.FIND_LF) : -1;
            if (lf < 0) {
                scanned = limit - start;
                tooLong(in, max, statusLine);
                return -1;
            }
            if (lf == start || in.getByte(lf - 1) != '\r') {
                throw new MalformedResponse("line ends in a bare LF (RFC 9112 §2.2)");
            }
            lines++;
            if (lf - start >= 3 && in.getByte(lf - 2) == '\n' && in.getByte(lf - 3) == '\r') {
                scanned = 0;
                blockFields = lines - (statusLine ? 2 : 1); // the status line and the empty one are not fields
                lines = 0;
                return lf + 1;
            }
            pos = lf + 1;
        }
    }

    private static void tooLong(ByteBuf in, int max, boolean statusLine) {
        int have = in.readableBytes();
        int start = in.readerIndex();
        if (statusLine && have > MAX_LINE + 1 && in.indexOf(start, start + MAX_LINE + 2, (byte) '\n') < 0) {
            throw new MalformedResponse("status line longer than " + MAX_LINE + " bytes");
        }
        if (have > max + 4) {
            throw new MalformedResponse("head or trailers longer than " + max + " bytes");
        }
    }

    /** The one Content-Length, or -1 without one. */
    private static long contentLength(HeadFields h) {
        int at = h.find(HttpHeaderNames.CONTENT_LENGTH, 0);
        if (at < 0) {
            return -1;
        }
        if (h.find(HttpHeaderNames.CONTENT_LENGTH, at + 1) >= 0) {
            throw new MalformedResponse("more than one Content-Length (RFC 9112 §6.3)");
        }
        AsciiString v = h.value(at);
        int n = v.length();
        if (n == 0 || n > 18) {
            throw new MalformedResponse("Content-Length is not 1..18 digits (RFC 9110 §8.6)");
        }
        long length = 0;
        for (int i = 0; i < n; i++) {
            byte c = v.byteAt(i);
            if (c < '0' || c > '9') {
                throw new MalformedResponse("Content-Length is not 1..18 digits (RFC 9110 §8.6)");
            }
            length = length * 10 + (c - '0');
        }
        return length;
    }

    private static boolean chunked(HeadFields h) {
        int at = h.find(HttpHeaderNames.TRANSFER_ENCODING, 0);
        if (at < 0) {
            return false;
        }
        if (h.find(HttpHeaderNames.TRANSFER_ENCODING, at + 1) >= 0 || !h.value(at).contentEqualsIgnoreCase(HttpHeaderValues.CHUNKED)) {
            throw new MalformedResponse("Transfer-Encoding other than one \"chunked\" (RFC 9112 §6.1, §7)");
        }
        return true;
    }

    private boolean chunkSize(ByteBuf in) {
        int start = in.readerIndex();
        int lf = in.indexOf(start, Math.min(in.writerIndex(), start + MAX_LINE + 1), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > MAX_LINE) {
                throw new MalformedResponse("chunk-size line longer than " + MAX_LINE + " bytes (RFC 9112 §7.1)");
            }
            return false;
        }
        if (lf == start || in.getByte(lf - 1) != '\r') {
            throw new MalformedResponse("chunk-size line ends in a bare LF (RFC 9112 §2.2, §7.1)");
        }
        int end = lf - 1;
        int i = start;
        long size = 0;
        while (i < end && size <= Integer.MAX_VALUE && Character.digit(in.getByte(i), 16) >= 0) {
            size = size * 16 + Character.digit(in.getByte(i), 16);
            i++;
        }
        if (i == start || size > Integer.MAX_VALUE) {
            throw new MalformedResponse("chunk size is not hex digits up to 7fffffff (RFC 9112 §7.1)");
        }
        while (i < end && HeadParser.isSpace(in.getByte(i))) {
            i++;
        }
        if (i < end && in.getByte(i) != ';') {
            throw new MalformedResponse("chunk size followed by other than whitespace or ';' (RFC 9112 §7.1.1)");
        }
        for (; i < end; i++) {
            int c = in.getByte(i) & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw new MalformedResponse("chunk extension holds a control character (RFC 9112 §7.1.1)");
            }
        }
        in.readerIndex(lf + 1);
        remaining = size;
        state = size == 0 ? State.TRAILERS : State.CHUNK_DATA;
        return true;
    }

    private boolean chunkEnd(ByteBuf in) {
        byte b = in.getByte(in.readerIndex());
        if (b != '\r') {
            throw new MalformedResponse("chunk data not followed by CRLF (RFC 9112 §7.1)");
        } else if (in.readableBytes() < 2) {
            return false;
        } else if (in.getByte(in.readerIndex() + 1) != '\n') {
            throw new MalformedResponse("chunk data not followed by CRLF (RFC 9112 §7.1)");
        } else {
            in.skipBytes(2);
        }
        state = State.CHUNK_SIZE;
        return true;
    }

    private boolean trailers(ByteBuf in, List<Object> out) {
        int r = in.readerIndex();
        byte b = in.getByte(r);
        if (b == '\n') {
            throw new MalformedResponse("line ends in a bare LF (RFC 9112 §2.2)");
        }
        if (b == '\r') {
            if (in.readableBytes() < 2) {
                return false;
            }
            if (in.getByte(r + 1) != '\n') {
                throw new MalformedResponse("trailer section holds a bare CR (RFC 9112 §2.2)");
            }
            in.skipBytes(2);
            state = State.HEAD;
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            return true;
        }
        int end = blockEnd(in, MAX_FIELDS, false);
        if (end < 0) {
            return false;
        }
        byte[] bytes = new byte[end - r];
        in.readBytes(bytes);
        HttpHeaders trailers = HeadParser.trailers(HeadParser.fields(bytes, 0, blockFields));
        state = State.HEAD;
        out.add(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
        return true;
    }

    /**
     * The target closed the connection: a body that runs until the close ends here. A close in
     * the middle of a head or of a framed body hands on nothing more: the connection's handler
     * sees the close before the end of the response.
     */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.UNTIL_CLOSE) {
            state = State.HEAD;
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }
}
