package dev.gatehouse.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * The proxy's own answers: a short JSON body {@code {"message":"…","request_id":"…"}} with
 * {@code Content-Type: application/json}, {@code X-Request-Id} and {@code Via}. Messages follow
 * Kong's wording where Kong has one, so existing clients and runbooks fit.
 */
public final class ErrorReply {
    public static final String NO_ROUTE = "no Route matched with those values";
    public static final String NO_KEY = "No API key found in request";
    public static final String DUPLICATE_KEY = "Duplicate API key found";
    public static final String UNAUTHORIZED = "Unauthorized";
    public static final String BAD_UPSTREAM = "An invalid response was received from the upstream server";
    public static final String NO_SERVICE = "the route's service is not available";
    public static final String NO_PEER = "failure to get a peer from the ring-balancer";
    public static final String TIMEOUT = "The upstream server is timing out";

    private ErrorReply() {
    }

    /**
     * A redirect (3xx: {@code httpsRedirect}'s 308) takes {@code message} as its {@code Location},
     * and its body says where it points. A 401 also gets {@code WWW-Authenticate: Key realm="gatehouse"} (RFC 9110 §11.6.1): every
     * 401 of the proxy comes from key-auth.
     *
     * @param close add {@code Connection: close}; the caller closes the connection after the write
     */
    public static FullHttpResponse of(ByteBufAllocator alloc, HttpResponseStatus status, String message,
                                      String requestId, boolean close) {
        byte[] json = json(message, requestId);
        ByteBuf body = alloc.buffer(json.length).writeBytes(json);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length)
                .set(ProxyHeaders.X_REQUEST_ID, requestId)
                .set(HttpHeaderNames.VIA, ProxyHeaders.VIA_VALUE);
        if (status.code() / 100 == 3) {
            res.headers().set(HttpHeaderNames.LOCATION, message);
        }
        if (status.code() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, ProxyHeaders.KEY_REALM);
        }
        if (close) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return res;
    }

    /**
     * The answer to {@code request}: a gRPC status ({@link GrpcReply}) when it is a gRPC call,
     * else the JSON answer of {@link #of}. Every client side replies through this.
     */
    public static FullHttpResponse forRequest(ByteBufAllocator alloc, HttpRequest request, HttpResponseStatus status,
                                              String message, String requestId, boolean close) {
        if (GrpcReply.isGrpc(request.headers())) {
            return GrpcReply.of(status, message, requestId, close);
        }
        return of(alloc, status, message, requestId, close);
    }

    static byte[] json(String message, String requestId) {
        StringBuilder sb = new StringBuilder(48 + message.length() + requestId.length());
        sb.append("{\"message\":\"");
        escape(sb, message);
        sb.append("\",\"request_id\":\"");
        escape(sb, requestId);
        sb.append("\"}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void escape(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
    }
}
