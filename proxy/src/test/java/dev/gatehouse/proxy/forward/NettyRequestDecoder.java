package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.http.WebSocketUpgrade;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The decoder {@code StrictRequestDecoder} replaced, kept as the reference of the property tests:
 * Netty's {@code HttpRequestDecoder} in strict mode behind the byte scan of every head (main's code
 * before the head was parsed once, as bytes, unchanged but for its name and package).
 */
final class NettyRequestDecoder extends HttpRequestDecoder {
    static final int MAX_CHUNK_SIZE = 65536;

    /** A head the scan refused; the message says what was expected. */
    static final class HeadRefusedException extends IllegalArgumentException {
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
    static final class HeadTimeoutException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        HeadTimeoutException(long millis) {
            super("request head not received within " + millis + " ms (expected: the whole head sooner)");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    static final String OBS_FOLD = "obsolete line folding (expected: every header on one line, RFC 9112 §5.2)";
    static final String CONTROL = "control character in the request head (expected: visible characters, SP and HT, RFC 9110 §5.5)";
    static final String BARE_CR = "bare CR in the request head (expected: CRLF line endings, RFC 9112 §2.2)";
    static final String CL_REPEATED = "Content-Length repeated (expected: exactly one Content-Length field, RFC 9112 §6.3)";

    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final ClientLimits limits;
    private ChannelHandlerContext ctx;

    private boolean inHead = true;
    private boolean headStarted;
    private boolean sawRequestLine;
    private boolean afterLf;
    private boolean afterCr;
    private int lineLength;
    private int headerLines;
    /** Progress matching "content-length:" at the start of the current line; -1 when it cannot match. */
    private int nameMatch;
    private int contentLengthFields;
    private boolean rejected;
    /** The request being decoded asks for WebSocket ({@link WebSocketUpgrade#requested}). */
    private boolean upgradeAsked;
    /** Decoding stopped after a WebSocket upgrade request; see {@link #resume()}. */
    private boolean held;
    /** Stream offset of the decoder's reader index, and of the first byte not yet scanned. */
    private long consumed;
    private long scannedTo;
    private long headStartNanos;
    private ScheduledFuture<?> headDeadline;

    NettyRequestDecoder() {
        this(ClientLimits.DEFAULTS);
    }

    NettyRequestDecoder(ClientLimits limits) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowPartialChunks(true));
        this.limits = limits;
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
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (rejected) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (held) {
            return;
        }
        Exception deferred = null;
        if (inHead) {
            String refusal = scanHead(in);
            if (refusal != null) {
                Exception cause = refusal == TOO_MANY_HEADERS
                        ? new TooLongHttpHeaderException("more than " + limits.maxHeaders() + " header fields")
                        : new HeadRefusedException(refusal);
                if (!sawRequestLine) {
                    refuse(in, out, cause);
                    return;
                }
                // Let Netty parse what it can of this head, only so that the refusal carries the
                // request's own X-Request-Id; the parsed request is marked failed either way.
                deferred = cause;
            }
        }
        int before = in.readerIndex();
        int produced = out.size();
        super.decode(ctx, in, out);
        consumed += in.readerIndex() - before;
        if (deferred != null) {
            refuseParsed(in, out, produced, deferred);
            return;
        }
        for (int i = produced; i < out.size(); i++) {
            Object o = out.get(i);
            if (o instanceof HttpRequest req && WebSocketUpgrade.requested(req.headers())) {
                upgradeAsked = true;
            }
            if (o instanceof LastHttpContent) {
                startHead();
                held = upgradeAsked;
                upgradeAsked = false;
            }
        }
        if (inHead && headStarted && headDeadline == null && !rejected) {
            long left = limits.requestHeadTimeout().toNanos() - (System.nanoTime() - headStartNanos);
            headDeadline = ctx.executor().schedule(this::headTimedOut, Math.max(0, left), TimeUnit.NANOSECONDS);
        }
    }

    private static final String TOO_MANY_HEADERS = "too many headers";

    /**
     * Decodes on after a WebSocket upgrade request that was not switched (the target answered
     * other than 101): what came after it on the connection (a pipelined request) is decoded now,
     * or the next read is asked for when nothing did. Until then, bytes after such a request stay
     * in this decoder: if the connection becomes a tunnel they are handed to it when the decoder
     * is removed, never parsed as HTTP.
     */
    void resume() throws Exception {
        if (!held) {
            ctx.read();
            return;
        }
        held = false;
        channelRead(ctx, Unpooled.EMPTY_BUFFER);
        channelReadComplete(ctx);
    }

    private void refuse(ByteBuf in, List<Object> out, Exception cause) {
        rejected = true;
        cancelDeadline();
        in.skipBytes(in.readableBytes());
        out.add(failed(cause));
    }

    /**
     * Marks the request just parsed as failed with {@code cause} and drops everything after it;
     * when this read parsed no request, a stand-in carries the failure (no waiting for more).
     */
    private void refuseParsed(ByteBuf in, List<Object> out, int produced, Exception cause) {
        for (int i = out.size() - 1; i > produced; i--) {
            io.netty.util.ReferenceCountUtil.release(out.remove(i));
        }
        if (out.size() > produced && out.get(produced) instanceof HttpRequest req) {
            req.setDecoderResult(DecoderResult.failure(cause));
        } else {
            for (int i = out.size() - 1; i >= produced; i--) {
                io.netty.util.ReferenceCountUtil.release(out.remove(i));
            }
            out.add(failed(cause));
        }
        rejected = true;
        cancelDeadline();
        in.skipBytes(in.readableBytes());
    }

    private static HttpRequest failed(Exception cause) {
        HttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER);
        bad.setDecoderResult(DecoderResult.failure(cause));
        return bad;
    }

    private void headTimedOut() {
        headDeadline = null;
        if (rejected || !inHead || !headStarted || !ctx.channel().isActive()) {
            return;
        }
        rejected = true;
        ctx.fireChannelRead(failed(new HeadTimeoutException(limits.requestHeadTimeout().toMillis())));
        ctx.fireChannelReadComplete();
    }

    private void cancelDeadline() {
        if (headDeadline != null) {
            headDeadline.cancel(false);
            headDeadline = null;
        }
    }

    private void startHead() {
        cancelDeadline();
        inHead = true;
        headStarted = false;
        sawRequestLine = false;
        afterLf = false;
        afterCr = false;
        lineLength = 0;
        headerLines = 0;
        nameMatch = 0;
        contentLengthFields = 0;
        scannedTo = consumed;
    }

    /** Scans the unscanned part of the head; the refusal message, or null. */
    private String scanHead(ByteBuf in) {
        int from = in.readerIndex() + (int) Math.max(0, scannedTo - consumed);
        int to = in.writerIndex();
        if (from < to && !headStarted) {
            headStarted = true;
            headStartNanos = System.nanoTime();
        }
        for (int i = from; i < to; i++) {
            int b = in.getByte(i) & 0xff;
            if (afterCr && b != '\n') {
                return BARE_CR;
            }
            if (b == '\n') {
                afterCr = false;
                if (sawRequestLine && lineLength == 0) {
                    inHead = false;
                    cancelDeadline();
                    scannedTo = consumed + (i + 1 - in.readerIndex());
                    return null;
                }
                if (lineLength > 0) {
                    if (sawRequestLine && ++headerLines > limits.maxHeaders()) {
                        return TOO_MANY_HEADERS;
                    }
                    sawRequestLine = true;
                }
                lineLength = 0;
                nameMatch = 0;
                afterLf = true;
            } else if (b == '\r') {
                afterCr = true;
            } else {
                if ((b < 0x20 && b != '\t') || b == 0x7f) {
                    return CONTROL;
                }
                if (afterLf && sawRequestLine && (b == ' ' || b == '\t')) {
                    return OBS_FOLD;
                }
                afterLf = false;
                if (sawRequestLine && nameMatch >= 0) {
                    if (nameMatch == CONTENT_LENGTH.length) {
                        nameMatch = -1;
                        if (b == ':' && ++contentLengthFields > 1) {
                            return CL_REPEATED;
                        }
                    } else if ((b | 0x20) == CONTENT_LENGTH[nameMatch] || b == CONTENT_LENGTH[nameMatch]) {
                        nameMatch++;
                    } else {
                        nameMatch = -1;
                    }
                }
                lineLength++;
            }
        }
        scannedTo = consumed + (to - in.readerIndex());
        return null;
    }
}
