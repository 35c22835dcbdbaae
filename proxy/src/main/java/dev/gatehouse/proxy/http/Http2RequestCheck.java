package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.observe.EdgeMeters;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.HttpConversionUtil;

import java.util.List;

/**
 * The gate of an HTTP/2 request, run on the head Netty converted from the stream's HEADERS
 * ({@code Http2StreamFrameToHttpObjectCodec}), before it becomes an exchange. What HTTP/2 framing
 * already rules out is refused by Netty's codec as a stream error ({@code RST_STREAM
 * PROTOCOL_ERROR}, RFC 9113 §8.1.1): connection-specific fields ({@code Connection},
 * {@code Keep-Alive}, {@code Proxy-Connection}, {@code Transfer-Encoding}, {@code Upgrade}, a
 * {@code TE} other than {@code trailers}; §8.2.2), upper-case or invalid field names, missing or
 * repeated pseudo-headers (§8.3), an {@code :authority} and a {@code host} field that differ
 * (§8.3.1), a Content-Length the DATA frames do not match (§8.1.1). What
 * is left is checked here, and answered with a status and the JSON body of the HTTP/1.1 gate:
 *
 * <table>
 * <caption>What this check refuses</caption>
 * <tr><th>input</th><th>answer</th><th>reference</th></tr>
 * <tr><td>{@code :authority} and a {@code host} field that differ (when the codec let them
 *         through)</td><td>400</td><td>RFC 9113 §8.3.1</td></tr>
 * <tr><td>a {@code :path} not in origin form ({@code *} only for OPTIONS)</td><td>400</td><td>RFC 9113 §8.3.1</td></tr>
 * <tr><td>more than {@code maxHeaders} header fields</td><td>431</td><td>RFC 6585 §5</td></tr>
 * <tr><td>everything {@link RequestGate} refuses of an HTTP/1.1 head (method token, CONNECT,
 *         no authority at all, target characters)</td><td>400, 405</td><td>RFC 9110</td></tr>
 * </table>
 *
 * <p>A request that passes is normalised in place for the HTTP/1.1 path: one {@code Host} (from
 * {@code :authority}, or the {@code host} field when there is no {@code :authority}), Netty's
 * {@code x-http2-*} conversion fields removed (they are Netty's, not the client's, and never go
 * upstream), and its final {@code X-Request-Id}.
 */
public final class Http2RequestCheck {
    /** Why the head is refused: the status, the message (what was expected) and the counter. */
    public record Refusal(HttpResponseStatus status, String message, EdgeMeters.Reason reason) {
    }

    static final String AUTHORITY_MISMATCH = ":authority and host differ (expected: only :authority, or a host field "
            + "naming the same authority, RFC 9113 §8.3.1)";
    static final String NOT_ORIGIN_FORM = "invalid :path (expected: an origin-form path /..., or * for OPTIONS, "
            + "RFC 9113 §8.3.1)";

    private Http2RequestCheck() {
    }

    /**
     * Normalises {@code req} and checks it.
     *
     * @return null when the request may go on; else why it is refused
     */
    public static Refusal check(HttpRequest req, ClientLimits limits) {
        HttpHeaders h = req.headers();
        h.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
        h.remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
        h.remove(HttpConversionUtil.ExtensionHeaderNames.PATH.text());
        h.set(ProxyHeaders.X_REQUEST_ID, RequestId.accept(h.get(ProxyHeaders.X_REQUEST_ID)));
        if (h.size() > limits.maxHeaders()) {
            return new Refusal(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too many header fields (expected: at most " + limits.maxHeaders() + ")", EdgeMeters.Reason.HEADER_SIZE);
        }
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            // the codec adds :authority as a Host field after any host field the client sent
            String first = hosts.get(0);
            for (int i = 1; i < hosts.size(); i++) {
                if (!hosts.get(i).equalsIgnoreCase(first)) {
                    return new Refusal(HttpResponseStatus.BAD_REQUEST, AUTHORITY_MISMATCH, EdgeMeters.Reason.BAD_REQUEST);
                }
            }
            h.set(HttpHeaderNames.HOST, hosts.get(hosts.size() - 1));
        }
        String uri = req.uri();
        boolean originForm = uri.startsWith("/") || (uri.equals("*") && req.method() == HttpMethod.OPTIONS);
        if (!originForm && req.method() != HttpMethod.CONNECT) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, NOT_ORIGIN_FORM, EdgeMeters.Reason.BAD_REQUEST);
        }
        RequestGate.Refusal refusal = RequestGate.refusalOf(req);
        return refusal == null ? null : new Refusal(refusal.status(), refusal.message(), EdgeMeters.Reason.BAD_REQUEST);
    }
}
