package dev.gatehouse.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.List;

/**
 * Netty's request decoder with one more refusal: obsolete line folding (a header line starting
 * with SP or HT, RFC 9112 §5.2), which Netty would silently unfold. The head of every request
 * is scanned once, byte by byte, before Netty parses it; a fold yields a failed request (the
 * {@link RequestGate} answers 400) and the rest of the connection is discarded.
 *
 * <p>Everything else is Netty's strict mode (see {@link #config()}): both Content-Length and
 * Transfer-Encoding, differing or invalid Content-Length, a final coding other than chunked,
 * bare LF, invalid header names and bad chunk sizes are failures; a request line longer than
 * {@link #MAX_REQUEST_LINE} raises {@code TooLongHttpLineException} (414) and headers larger
 * than {@link #MAX_HEADER_SIZE} {@code TooLongHttpHeaderException} (431).
 */
public final class StrictRequestDecoder extends HttpRequestDecoder {
    public static final int MAX_REQUEST_LINE = 8192;
    public static final int MAX_HEADER_SIZE = 16384;
    public static final int MAX_CHUNK_SIZE = 65536;

    /** Raised for a header line that starts with whitespace. */
    public static final class ObsoleteLineFoldingException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ObsoleteLineFoldingException() {
            super("obsolete line folding (expected: every header on one line, RFC 9112 §5.2)");
        }
    }

    private boolean inHead = true;
    private boolean sawRequestLine;
    private boolean afterLf;
    private int lineLength;
    private boolean rejected;
    /** Stream offset of the decoder's reader index, and of the first byte not yet scanned. */
    private long consumed;
    private long scannedTo;

    public StrictRequestDecoder() {
        super(config());
    }

    public static HttpDecoderConfig config() {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_REQUEST_LINE)
                .setMaxHeaderSize(MAX_HEADER_SIZE)
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowPartialChunks(true);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (rejected) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (inHead && scanHead(in)) {
            rejected = true;
            in.skipBytes(in.readableBytes());
            HttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER);
            bad.setDecoderResult(DecoderResult.failure(new ObsoleteLineFoldingException()));
            out.add(bad);
            return;
        }
        int before = in.readerIndex();
        int produced = out.size();
        super.decode(ctx, in, out);
        consumed += in.readerIndex() - before;
        for (int i = produced; i < out.size(); i++) {
            if (out.get(i) instanceof LastHttpContent) {
                startHead();
            }
        }
    }

    private void startHead() {
        inHead = true;
        sawRequestLine = false;
        afterLf = false;
        lineLength = 0;
        scannedTo = consumed;
    }

    /** Scans the unscanned part of the head; true when a folded line is found. */
    private boolean scanHead(ByteBuf in) {
        int from = in.readerIndex() + (int) Math.max(0, scannedTo - consumed);
        int to = in.writerIndex();
        for (int i = from; i < to; i++) {
            byte b = in.getByte(i);
            if (b == '\n') {
                if (sawRequestLine && lineLength == 0) {
                    inHead = false;
                    scannedTo = consumed + (i + 1 - in.readerIndex());
                    return false;
                }
                if (lineLength > 0) {
                    sawRequestLine = true;
                }
                lineLength = 0;
                afterLf = true;
            } else if (b != '\r') {
                if (afterLf && sawRequestLine && (b == ' ' || b == '\t')) {
                    return true;
                }
                afterLf = false;
                lineLength++;
            }
        }
        scannedTo = consumed + (to - in.readerIndex());
        return false;
    }
}
