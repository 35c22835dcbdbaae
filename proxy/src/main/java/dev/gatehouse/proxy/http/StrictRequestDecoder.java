package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.http1.MalformedRequest;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.proxy.http1.RequestHeadParser;
import dev.gatehouse.proxy.http1.RequestHeads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 request decoder of a client connection: one byte scan of each head that refuses
 * what must not pass ({@link HeadScan}), then one parse of the head's bytes into a
 * {@link ParsedRequest} ({@link RequestHeadParser}: fields kept as offsets, rewritten as marks and
 * appended fields, written upstream by copying ranges), then the body as the head frames it
 * ({@link RequestBodyFraming}: Content-Length bodies as slices of the received buffers, chunked
 * bodies de-chunked). A refusal yields one failed request (the {@link RequestGate} answers it)
 * and the rest of the connection is discarded.
 *
 * <table>
 * <caption>What is refused</caption>
 * <tr><th>input</th><th>answer</th><th>reference</th></tr>
 * <tr><td>obsolete line folding (a header line starting with SP or HT)</td><td>400</td><td>RFC 9112 §5.2</td></tr>
 * <tr><td>a control character (0x00–0x1F but HT, CR, LF; 0x7F) anywhere in the head</td><td>400</td><td>RFC 9110 §5.5</td></tr>
 * <tr><td>a CR not followed by LF; a bare LF</td><td>400</td><td>RFC 9112 §2.2</td></tr>
 * <tr><td>a request line longer than {@code maxRequestLine}</td><td>414</td><td>RFC 9112 §3</td></tr>
 * <tr><td>more than {@code maxHeaders} header fields, or a header block over {@code maxHeaderSize}</td><td>431</td><td>RFC 6585 §5</td></tr>
 * <tr><td>Content-Length given as more than one field (also in HTTP/1.0), or not one decimal value</td><td>400</td><td>RFC 9112 §6.3, RFC 9110 §8.6</td></tr>
 * <tr><td>both Content-Length and Transfer-Encoding; Transfer-Encoding outside HTTP/1.1; a final coding other than chunked</td><td>400</td><td>RFC 9112 §6.1</td></tr>
 * <tr><td>a request line that is not method SP target SP HTTP/d.d; a field name that is not a token followed by a colon</td><td>400</td><td>RFC 9112 §3, §5.1</td></tr>
 * <tr><td>bad chunked framing (size, extension, data not followed by CRLF, trailers)</td><td>400</td><td>RFC 9112 §7.1</td></tr>
 * <tr><td>a head not complete {@code requestHeadTimeout} after its first byte</td><td>408</td><td>RFC 9110 §15.5.9</td></tr>
 * </table>
 *
 * <p>After a WebSocket upgrade request ({@link WebSocketUpgrade}) nothing more is decoded until
 * {@link #resume()}: what follows it is either the client's first frames (the connection becomes a
 * tunnel: the bytes are handed on when this decoder is removed) or, when the target does not
 * switch, the next request.
 */
public final class StrictRequestDecoder extends ByteToMessageDecoder {
    /** The most body bytes one {@code HttpContent} carries. */
    public static final int MAX_CHUNK_SIZE = 65536;

    /** A head the scan refused; the message says what was expected. */
    public static final class HeadRefusedException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        HeadRefusedException(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** A head that did not arrive within the deadline (408). */
    public static final class HeadTimeoutException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        HeadTimeoutException(long millis) {
            super("request head not received within " + millis + " ms (expected: the whole head sooner)");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    static final String OBS_FOLD = RequestHeadParser.OBS_FOLD;
    static final String CONTROL = RequestHeadParser.CONTROL;
    static final String BARE_CR = "bare CR in the request head (expected: CRLF line endings, RFC 9112 §2.2)";
    static final String CL_REPEATED = "Content-Length repeated (expected: exactly one Content-Length field, RFC 9112 §6.3)";

    private final ClientLimits limits;
    private final HeadScan scan;
    private final RequestBodyFraming body = new RequestBodyFraming();
    /** This connection's heads, parsed into again once their exchanges finished. */
    private final RequestHeads heads = new RequestHeads();
    private ChannelHandlerContext ctx;

    private boolean inHead = true;
    private boolean rejected;
    /** The request being decoded asks for WebSocket ({@link WebSocketUpgrade#requested}). */
    private boolean upgradeAsked;
    /** Decoding stopped after a WebSocket upgrade request; see {@link #resume()}. */
    private boolean held;
    /** The request line of the head under way was checked on its own (its fields came in a later read). */
    private boolean lineChecked;
    /**
     * The head's timeout, armed in the read that brings its first byte when that read does not
     * complete it (so it runs {@code requestHeadTimeout} after the first byte); a head complete in
     * the read it starts in, nearly all of them, reads no clock.
     */
    private ScheduledFuture<?> headDeadline;

    public StrictRequestDecoder() {
        this(ClientLimits.DEFAULTS);
    }

    public StrictRequestDecoder(ClientLimits limits) {
        this.limits = limits;
        this.scan = new HeadScan(limits);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        super.channelInactive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (rejected) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (held) {
            return;
        }
        try {
            if (inHead) {
                head(in, out);
            } else if (body.decode(in, out)) {
                headDone();
            }
        } catch (MalformedRequest e) {
            reject(in);
            LastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, EmptyHttpHeaders.INSTANCE);
            failed.setDecoderResult(DecoderResult.failure(e));
            out.add(failed);
        }
    }

    private void head(ByteBuf in, List<Object> out) {
        int end = scan.scan(in);
        if (end == HeadScan.MORE && !lineChecked && scan.sawRequestLine()) {
            lineChecked = true;
            try {
                checkRequestLine(in);
            } catch (MalformedRequest e) {
                refuse(in, out, e, false);
                return;
            }
        }
        if (end == HeadScan.MORE) {
            if (scan.started() && headDeadline == null) {
                headDeadline = ctx.executor().schedule(this::headTimedOut, limits.requestHeadTimeout().toNanos(),
                        TimeUnit.NANOSECONDS);
            }
            return;
        }
        if (end == HeadScan.REFUSED) {
            refuse(in, out, cause(scan.refusal(), limits), true);
            return;
        }
        cancelDeadline();
        int from = in.readerIndex();
        while (from < end && (in.getByte(from) == '\r' || in.getByte(from) == '\n')) {
            from++; // empty lines before the request line are ignored (RFC 9112 §2.2)
        }
        ParsedRequest req;
        try {
            req = heads.parse(in, from, end, scan.fields());
        } catch (MalformedRequest e) {
            refuse(in, out, e, true);
            return;
        }
        in.readerIndex(end);
        inHead = false;
        upgradeAsked = WebSocketUpgrade.requested(req.headers());
        out.add(req);
        if (body.start(req)) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            headDone();
        }
    }

    /** The request line of a head whose fields are still on the way (a head in one read is parsed whole instead). */
    private static void checkRequestLine(ByteBuf in) {
        int from = in.readerIndex();
        while (in.getByte(from) == '\r' || in.getByte(from) == '\n') {
            from++;
        }
        byte[] line = new byte[in.indexOf(from, in.writerIndex(), (byte) '\n') + 1 - from];
        in.getBytes(from, line);
        RequestHeadParser.checkRequestLine(line);
    }

    /** The request's end was handed on: the next head starts, unless a WebSocket upgrade holds decoding. */
    private void headDone() {
        inHead = true;
        lineChecked = false;
        scan.reset();
        held = upgradeAsked;
        upgradeAsked = false;
    }

    /**
     * Decodes on after a WebSocket upgrade request that was not switched (the target answered
     * other than 101): what came after it on the connection (a pipelined request) is decoded now,
     * or the next read is asked for when nothing did. Until then, bytes after such a request stay
     * in this decoder: if the connection becomes a tunnel they are handed to it when the decoder
     * is removed, never parsed as HTTP.
     */
    public void resume() throws Exception {
        if (!held) {
            ctx.read();
            return;
        }
        held = false;
        channelRead(ctx, Unpooled.EMPTY_BUFFER);
        channelReadComplete(ctx);
    }

    /**
     * Refuses the head under way with {@code cause}: one failed request that carries the client's
     * own X-Request-Id when a complete line of the head held one, so the answer names it.
     */
    private void refuse(ByteBuf in, List<Object> out, Exception cause, boolean withId) {
        String id = withId ? HeadScan.requestId(in, in.readerIndex(), in.writerIndex()) : null;
        reject(in);
        out.add(failed(cause, id));
    }

    private void reject(ByteBuf in) {
        rejected = true;
        cancelDeadline();
        in.skipBytes(in.readableBytes());
    }

    private static HttpRequest failed(Exception cause, String requestId) {
        HttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER);
        if (requestId != null) {
            bad.headers().set(ProxyHeaders.X_REQUEST_ID, requestId);
        }
        bad.setDecoderResult(DecoderResult.failure(cause));
        return bad;
    }

    static Exception cause(String refusal, ClientLimits limits) {
        if (refusal == HeadScan.TOO_MANY_HEADERS) {
            return new TooLongHttpHeaderException("more than " + limits.maxHeaders() + " header fields");
        }
        if (refusal == HeadScan.HEADERS_TOO_LARGE) {
            return new TooLongHttpHeaderException("header block larger than " + limits.maxHeaderSize() + " bytes");
        }
        if (refusal == HeadScan.LINE_TOO_LONG) {
            return new TooLongHttpLineException("request line longer than " + limits.maxRequestLine() + " bytes");
        }
        return new HeadRefusedException(refusal);
    }

    private void headTimedOut() {
        headDeadline = null;
        if (rejected || !inHead || !scan.started() || !ctx.channel().isActive()) {
            return;
        }
        rejected = true;
        ctx.fireChannelRead(failed(new HeadTimeoutException(limits.requestHeadTimeout().toMillis()), null));
        ctx.fireChannelReadComplete();
    }

    private void cancelDeadline() {
        if (headDeadline != null) {
            headDeadline.cancel(false);
            headDeadline = null;
        }
    }

    /**
     * The client closed the connection: a request cut short in its fields or its body is handed
     * on as failed (the gate answers and counts it; the handler after it sees the close next).
     */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (rejected || held) {
            return;
        }
        if (!inHead) {
            rejected = true;
            LastHttpContent cut = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, EmptyHttpHeaders.INSTANCE);
            cut.setDecoderResult(DecoderResult.failure(new PrematureChannelClosureException("connection closed before the request body ended")));
            out.add(cut);
        } else if (scan.sawRequestLine()) {
            rejected = true;
            out.add(failed(new PrematureChannelClosureException("connection closed before the request head ended"), null));
        }
    }
}
