package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.http1.HeadFields;
import dev.gatehouse.proxy.http1.MalformedRequest;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.routing.RequestHost;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The strict HTTP/1.1 gate between the decoder and the forwarder. A request the decoder failed
 * on, or one whose framing or target is in doubt, is answered here (400, 405, 408, 414, 431,
 * 501 or 505, with a JSON body and {@code X-Request-Id}) and the connection is closed; nothing
 * of it, and nothing after it on the connection, goes further. A request that passes carries
 * its final {@code X-Request-Id} header (see {@link RequestId}). The table of every case is in
 * docs/proxy.md ("The strict gate") and {@code RequestGateSocketTest}.
 *
 * <p>Checks beyond the decoder's ({@link StrictRequestDecoder}): HTTP/1.0 or HTTP/1.1 only
 * (505; the HTTP/2 preface gets its own message); a method of token characters (RFC 9110 §9.1),
 * not CONNECT (405); exactly one Host in HTTP/1.1 (RFC 9112 §3.2); a Transfer-Encoding of
 * exactly {@code chunked} (other codings: 501, RFC 9112 §6.1); a {@code Connection} header
 * that names only hop-by-hop fields — never Content-Length, Transfer-Encoding, Host or an
 * identity header the proxy sets (400: dropping them would let a body travel unframed or a
 * forged identity through); no Hixie-76 WebSocket keys (their 8-byte body has no framing
 * header) and no WebSocket upgrade but a valid RFC 6455 opening handshake
 * ({@link WebSocketUpgrade}); an origin-form or absolute-form target (RFC 9112 §3.2) without
 * fragment or userinfo, {@code *} for OPTIONS.
 */
public final class RequestGate extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestGate.class);
    /**
     * {@code event=request.refused}: every request the edge answers itself for being malformed or
     * over a limit, here and after routing (RequestPlan, Exchange); one event, one rate limit.
     */
    public static final RateLimitedLog REQUEST_REFUSED = RateLimitedLog.of(LOG, "request.refused");

    /** Fields a {@code Connection} header may not name (lower case). */
    static final Set<String> PROTECTED = Set.of(
            "content-length", "transfer-encoding", "host",
            ProxyHeaders.X_CONSUMER_ID.toString(), ProxyHeaders.X_CONSUMER_CUSTOM_ID.toString(),
            ProxyHeaders.X_CONSUMER_USERNAME.toString(), ProxyHeaders.X_CREDENTIAL_IDENTIFIER.toString(),
            ProxyHeaders.X_ANONYMOUS_CONSUMER.toString(), ProxyHeaders.X_REQUEST_ID.toString(),
            ProxyHeaders.X_FORWARDED_FOR.toString(), ProxyHeaders.X_FORWARDED_PROTO.toString(),
            ProxyHeaders.X_FORWARDED_HOST.toString(), ProxyHeaders.X_FORWARDED_PORT.toString());

    private final ClientLimits limits;
    private final EdgeMeters meters;
    private boolean rejected;
    /** The id of the request whose body is being decoded, for a failure in its chunks. */
    private String currentId;

    public RequestGate() {
        this(ClientLimits.DEFAULTS, EdgeMeters.NONE);
    }

    public RequestGate(ClientLimits limits, EdgeMeters meters) {
        this.limits = limits;
        this.meters = meters;
    }

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
            req.headers().set(ProxyHeaders.X_REQUEST_ID, id); // written once, read back by nobody: the request keeps it
            if (req instanceof ParsedRequest parsed) {
                parsed.requestId(id);
            }
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
            if (req.method().name().equals("PRI") && version.majorVersion() == 2) {
                return new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                        "HTTP/2 with prior knowledge on an HTTP/1.1 port (expected: HTTP/1.1 or HTTP/1.0)");
            }
            return new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "version " + version.text() + " not supported (expected: HTTP/1.1 or HTTP/1.0)");
        }
        if (!isToken(req.method().name())) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid method (expected: a token, RFC 9110 §9.1)");
        }
        if (req.method() == HttpMethod.CONNECT) {
            return new Refusal(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method CONNECT not allowed (expected: a method other than CONNECT)");
        }
        CharSequence host;
        boolean repeated;
        if (h instanceof HeadFields fields) {
            // a view over the head's bytes, kept on the request for its routing: no String, no iterator
            host = fields.firstView(HttpHeaderNames.HOST);
            repeated = host != null && fields.count(HttpHeaderNames.HOST) > 1;
        } else {
            Iterator<? extends CharSequence> hosts = h.valueCharSequenceIterator(HttpHeaderNames.HOST);
            host = hosts.hasNext() ? hosts.next() : null;
            repeated = hosts.hasNext();
        }
        if (repeated || (host == null && req.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST,
                    "Host header missing or repeated (expected: exactly one, RFC 9112 §3.2)");
        }
        if (host != null && !validHost(host)) { // checked in place, no String made
            return new Refusal(HttpResponseStatus.BAD_REQUEST,
                    "invalid Host (expected: a host name or IP literal and an optional numeric port, RFC 9110 §7.2)");
        }
        if (host != null && req instanceof ParsedRequest parsed) {
            parsed.host(host);
        }
        if (h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (!(codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"))) {
                return new Refusal(HttpResponseStatus.NOT_IMPLEMENTED,
                        "transfer coding " + String.join(", ", codings).trim() + " not supported (expected: chunked)");
            }
        }
        String named = h.contains(HttpHeaderNames.CONNECTION) ? protectedConnectionToken(h) : null;
        if (named != null) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "Connection names " + named
                    + " (expected: only hop-by-hop fields; framing, Host and identity headers cannot be dropped)");
        }
        if (h.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY1) || h.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY2)) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST,
                    "Hixie-76 WebSocket handshake (expected: RFC 6455 with Sec-WebSocket-Key)");
        }
        String websocket = WebSocketUpgrade.requested(h) ? WebSocketUpgrade.refusal(req) : null;
        if (websocket != null) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, websocket);
        }
        String uri = req.uri();
        if (!validTarget(uri, req.method())) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST,
                    "invalid request target (expected: /path or an absolute http URI, visible ASCII, no fragment or userinfo, RFC 9112 §3.2)");
        }
        return null;
    }

    /** The first protected field a Connection header names, or null. */
    private static String protectedConnectionToken(HttpHeaders h) {
        List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
        for (int i = 0; i < connection.size(); i++) {
            String value = connection.get(i);
            if (value.length() <= 10 && (AsciiString.contentEqualsIgnoreCase(value, "keep-alive")
                    || AsciiString.contentEqualsIgnoreCase(value, "close"))) {
                continue;
            }
            for (String token : value.split(",")) {
                String name = token.trim().toLowerCase(Locale.ROOT);
                if (PROTECTED.contains(name)) {
                    return name;
                }
            }
        }
        return null;
    }

    private static boolean validTarget(String uri, HttpMethod method) {
        if (uri.equals("*")) {
            return method == HttpMethod.OPTIONS;
        }
        int pathStart;
        if (uri.startsWith("/")) {
            pathStart = 0;
        } else {
            int authority = uri.regionMatches(true, 0, "http://", 0, 7) ? 7 : uri.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
            if (authority < 0) {
                return false;
            }
            int slash = uri.indexOf('/', authority);
            int end = slash < 0 ? uri.length() : slash;
            int q = uri.indexOf('?', authority);
            if (q >= 0 && q < end) {
                end = q;
            }
            if (end == authority || uri.lastIndexOf('@', end - 1) >= authority) {
                return false;
            }
            pathStart = end;
        }
        for (int i = pathStart; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '#') {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 9110 §7.2: {@code uri-host [ ":" port ]}, where uri-host is a reg-name (unreserved,
     * sub-delims, pct-encoded) or an IP literal in brackets; empty is allowed (RFC 9112 §3.2).
     */
    static boolean validHost(CharSequence host) {
        int end = host.length();
        int colon = RequestHost.portColon(host);
        if (colon >= 0) {
            for (int i = colon + 1; i < host.length(); i++) {
                if (host.charAt(i) < '0' || host.charAt(i) > '9') {
                    return false;
                }
            }
            if (colon + 1 == host.length() || host.length() - colon - 1 > 5) {
                return false;
            }
            end = colon;
        }
        if (end > 0 && host.charAt(0) == '[') {
            if (host.charAt(end - 1) != ']') {
                return false;
            }
            for (int i = 1; i < end - 1; i++) {
                char c = host.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            return end > 2;
        }
        for (int i = 0; i < end; i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~%!$&'()*+,;=".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** RFC 9110 §5.6.2 tchar. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    static HttpResponseStatus statusFor(Throwable cause) {
        if (cause instanceof StrictRequestDecoder.HeadTimeoutException) {
            return HttpResponseStatus.REQUEST_TIMEOUT;
        }
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    String messageFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return "request line too long (expected: at most " + limits.maxRequestLine() + " bytes)";
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return String.valueOf(cause.getMessage()).startsWith("more than")
                    ? "too many header fields (expected: at most " + limits.maxHeaders() + ")"
                    : "request headers too large (expected: at most " + limits.maxHeaderSize() + " bytes)";
        }
        if (cause instanceof StrictRequestDecoder.HeadRefusedException || cause instanceof StrictRequestDecoder.HeadTimeoutException
                || cause instanceof MalformedRequest) {
            return cause.getMessage();
        }
        return "bad request (expected: well-formed HTTP/1.1, RFC 9112)";
    }

    private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String message, String requestId) {
        rejected = true;
        meters.count(switch (status.code()) {
            case 408 -> EdgeMeters.Reason.HEAD_TIMEOUT;
            case 414 -> EdgeMeters.Reason.REQUEST_LINE;
            case 431 -> EdgeMeters.Reason.HEADER_SIZE;
            default -> EdgeMeters.Reason.BAD_REQUEST;
        });
        REQUEST_REFUSED.info("client={} status={} request_id={} reason=\"{}\"", ctx.channel().remoteAddress(),
                status.code(), requestId, message);
        ctx.fireChannelRead(new BadRequest(status, message, requestId));
    }
}
