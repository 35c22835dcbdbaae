package dev.gatehouse.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.InvalidChunkExtensionException;
import io.netty.handler.codec.http.InvalidChunkTerminationException;
import io.netty.handler.codec.http.InvalidLineSeparatorException;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The strict HTTP/1.1 gate between the decoder and the forwarder. A request the decoder failed
 * on, or one whose framing or target is in doubt, is answered here (400, 405, 414, 431, 501 with
 * 505 with a JSON body and {@code X-Request-Id}) and the connection is closed; nothing of it, and nothing
 * after it on the connection, goes further. A request that passes carries its final
 * {@code X-Request-Id} header (see {@link RequestId}).
 *
 * <p>Checks beyond the decoder's: exactly one Host in HTTP/1.1 (RFC 9112 §3.2); a
 * Transfer-Encoding of exactly {@code chunked} (other codings: 501, RFC 9112 §6.1); an
 * origin-form or absolute-form target (RFC 9112 §3.2), {@code *} for OPTIONS; no CONNECT;
 * HTTP/1.0 or HTTP/1.1 only (505 otherwise).
 */
public final class RequestGate extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestGate.class);
    private boolean rejected;
    /** The id of the request whose body is being decoded, for a failure in its chunks. */
    private String currentId;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (rejected) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpObject obj && obj.decoderResult().isFailure()) {
            String id = msg instanceof HttpRequest req ? requestIdOf(req) : currentId != null ? currentId : RequestId.generate();
            ReferenceCountUtil.release(msg);
            Throwable cause = obj.decoderResult().cause();
            reject(ctx, statusFor(cause), messageFor(cause), id);
            return;
        }
        if (msg instanceof HttpRequest req) {
            String id = requestIdOf(req);
            req.headers().set(ProxyHeaders.X_REQUEST_ID, id);
            currentId = id;
            Refusal refusal = refusalOf(req);
            if (refusal != null) {
                ReferenceCountUtil.release(msg);
                reject(ctx, refusal.status(), refusal.message(), id);
                return;
            }
        }
        if (msg instanceof LastHttpContent) {
            currentId = null;
        }
        ctx.fireChannelRead(msg);
    }

    private static String requestIdOf(HttpRequest req) {
        return RequestId.accept(req.headers().get(ProxyHeaders.X_REQUEST_ID));
    }

    /** Why a decoded request head is refused: the status and what was expected. */
    record Refusal(HttpResponseStatus status, String message) {
    }

    /** Null when the request may go on. */
    static Refusal refusalOf(HttpRequest req) {
        HttpHeaders h = req.headers();
        HttpVersion version = req.protocolVersion();
        if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
            return new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "version " + version.text() + " not supported (expected: HTTP/1.1 or HTTP/1.0)");
        }
        if (req.method() == HttpMethod.CONNECT) {
            return new Refusal(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method CONNECT not allowed (expected: a method other than CONNECT)");
        }
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && req.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST,
                    "Host header missing or repeated (expected: exactly one, RFC 9112 §3.2)");
        }
        List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty() && !(codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"))) {
            return new Refusal(HttpResponseStatus.NOT_IMPLEMENTED,
                    "transfer coding " + String.join(", ", codings).trim() + " not supported (expected: chunked)");
        }
        String uri = req.uri();
        boolean originForm = uri.startsWith("/");
        boolean absoluteForm = uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8);
        boolean asterisk = uri.equals("*") && req.method() == HttpMethod.OPTIONS;
        if ((!originForm && !absoluteForm && !asterisk) || !visibleAscii(uri)) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST,
                    "invalid request target (expected: /path or an absolute http URI, visible ASCII, RFC 9112 §3.2)");
        }
        return null;
    }

    private static boolean visibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    static HttpResponseStatus statusFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    static String messageFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return "request line too long (expected: at most " + StrictRequestDecoder.MAX_REQUEST_LINE + " bytes)";
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return "request headers too large (expected: at most " + StrictRequestDecoder.MAX_HEADER_SIZE + " bytes)";
        }
        if (cause instanceof StrictRequestDecoder.ObsoleteLineFoldingException) {
            return cause.getMessage();
        }
        if (cause instanceof ContentLengthNotAllowedException) {
            return "both Content-Length and Transfer-Encoding (expected: one of them, RFC 9112 §6.3)";
        }
        if (cause instanceof TransferEncodingNotAllowedException) {
            return "Transfer-Encoding in an HTTP/1.0 request (expected: Content-Length, RFC 9112 §6.1)";
        }
        if (cause instanceof InvalidLineSeparatorException) {
            return "bare LF line ending (expected: CRLF, RFC 9112 §2.2)";
        }
        if (cause instanceof InvalidChunkExtensionException || cause instanceof InvalidChunkTerminationException) {
            return "bad chunked framing (expected: chunk-size [ext] CRLF data CRLF, RFC 9112 §7.1)";
        }
        String text = String.valueOf(cause.getMessage());
        if (text.contains("Content-Length")) {
            return "invalid Content-Length (expected: a single non-negative decimal value, RFC 9110 §8.6)";
        }
        if (text.contains("coding") || text.contains("Transfer-Encoding")) {
            return "bad Transfer-Encoding (expected: chunked as the final coding, RFC 9112 §6.1)";
        }
        if (text.contains("chunk") || cause instanceof NumberFormatException) {
            return "bad chunked framing (expected: chunk-size [ext] CRLF data CRLF, RFC 9112 §7.1)";
        }
        return "bad request (expected: well-formed HTTP/1.1, RFC 9112)";
    }

    private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String message, String requestId) {
        rejected = true;
        LOG.info("rejected request from {}: {} {} request_id={}", ctx.channel().remoteAddress(), status.code(), message, requestId);
        ctx.fireChannelRead(new BadRequest(status, message, requestId));
    }
}
