package dev.gatehouse.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;

/**
 * The proxy's own answers to gRPC calls (a request whose {@code content-type} is
 * {@code application/grpc}, {@code application/grpc+…} or {@code application/grpc;…}): a gRPC
 * client reads the call's outcome from {@code grpc-status}, not from the HTTP status, so the
 * answer is a "trailers-only" response (gRPC over HTTP/2, "Responses"): HTTP 200,
 * {@code content-type: application/grpc}, {@code grpc-status} and {@code grpc-message}
 * (percent-encoded), no body; on HTTP/2 it is one HEADERS frame that ends the stream. It keeps
 * {@code X-Request-Id} and {@code Via} like every answer of the proxy.
 *
 * <p>The status the proxy meant maps as the gRPC project's HTTP-to-gRPC table
 * (doc/http-grpc-status-mapping.md, also Envoy's for its own replies), with two answers made
 * more precise because the proxy knows why it gave them:
 *
 * <pre>
 * proxy's status                       grpc-status
 * 400 bad request                      13 INTERNAL
 * 401 no or unknown key                16 UNAUTHENTICATED
 * 403                                   7 PERMISSION_DENIED
 * 404 no route                         12 UNIMPLEMENTED
 * 413 body above maxBodySize            8 RESOURCE_EXHAUSTED  (the table: 2 UNKNOWN)
 * 429, 502, 503 (no healthy target)    14 UNAVAILABLE
 * 504 target silent for its timeout     4 DEADLINE_EXCEEDED   (the table: 14; the target may
 *                                                              have run the call, so not "safe to retry")
 * anything else                         2 UNKNOWN
 * </pre>
 */
public final class GrpcReply {
    public static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    public static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    public static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");

    public static final int INTERNAL = 13;
    public static final int UNAUTHENTICATED = 16;
    public static final int PERMISSION_DENIED = 7;
    public static final int UNIMPLEMENTED = 12;
    public static final int RESOURCE_EXHAUSTED = 8;
    public static final int UNAVAILABLE = 14;
    public static final int DEADLINE_EXCEEDED = 4;
    public static final int UNKNOWN = 2;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private GrpcReply() {
    }

    /** True for a gRPC call: {@code content-type} {@code application/grpc}, alone or followed by {@code +} or {@code ;}. */
    public static boolean isGrpc(HttpHeaders headers) {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        int n = APPLICATION_GRPC.length();
        if (type == null || !type.regionMatches(true, 0, "application/grpc", 0, n)) {
            return false;
        }
        return type.length() == n || type.charAt(n) == '+' || type.charAt(n) == ';';
    }

    /** The gRPC status code for the proxy's own HTTP status (the table above). */
    public static int code(int httpStatus) {
        return switch (httpStatus) {
            case 400 -> INTERNAL;
            case 401 -> UNAUTHENTICATED;
            case 403 -> PERMISSION_DENIED;
            case 404 -> UNIMPLEMENTED;
            case 413 -> RESOURCE_EXHAUSTED;
            case 429, 502, 503 -> UNAVAILABLE;
            case 504 -> DEADLINE_EXCEEDED;
            default -> UNKNOWN;
        };
    }

    /**
     * The trailers-only answer for {@code status}.
     *
     * @param close add {@code Connection: close}; the caller closes the connection after the write
     */
    public static FullHttpResponse of(HttpResponseStatus status, String message, String requestId, boolean close) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC)
                .setInt(GRPC_STATUS, code(status.code()))
                .set(GRPC_MESSAGE, percentEncode(message))
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(ProxyHeaders.X_REQUEST_ID, requestId)
                .set(HttpHeaderNames.VIA, ProxyHeaders.VIA_VALUE);
        if (status.code() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, ProxyHeaders.KEY_REALM);
        }
        if (close) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return res;
    }

    /**
     * {@code grpc-message} encoding: the UTF-8 bytes, each outside printable ASCII (0x20..0x7E)
     * and {@code %} itself as {@code %XX} (gRPC over HTTP/2, "Responses").
     */
    static String percentEncode(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 0x20 && c <= 0x7E && c != '%') {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        return sb.toString();
    }
}
