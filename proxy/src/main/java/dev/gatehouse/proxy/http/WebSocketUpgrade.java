package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.util.Base64;
import java.util.List;

/**
 * The one protocol upgrade the proxy honours: WebSocket's opening handshake (RFC 6455 §4). A
 * request asks for it with {@code Connection: Upgrade} and {@code Upgrade: websocket}; every
 * other {@code Upgrade} (h2c included) is a hop-by-hop field {@link HopByHop} removes, so the
 * target never sees it and the connection stays HTTP/1.1.
 *
 * <p>The handshake is checked here once, by the gate, like any request head: GET over HTTP/1.1,
 * no body, exactly one {@code Sec-WebSocket-Key} of 16 bytes in base64 and exactly one
 * {@code Sec-WebSocket-Version: 13} (RFC 6455 §4.1, §11.3); anything else is answered 400.
 * Going upstream, the upgrade fields are put back after the hop-by-hop fields were removed; the
 * {@code Sec-WebSocket-*} fields are end-to-end and travel as they came.
 */
public final class WebSocketUpgrade {
    private static final String WEBSOCKET = "websocket";

    private WebSocketUpgrade() {
    }

    /**
     * True when the head asks to switch to WebSocket: {@code Connection} lists {@code upgrade}
     * and {@code Upgrade} lists {@code websocket} (case-insensitive; other protocols offered
     * beside it are ignored). One lookup on a head without {@code Upgrade}.
     */
    public static boolean requested(HttpHeaders h) {
        return h.contains(HttpHeaderNames.UPGRADE)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && h.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    /** Why a head that {@link #requested asks for WebSocket} is not a valid opening handshake; null when it is. */
    static String refusal(HttpRequest req) {
        HttpHeaders h = req.headers();
        if (req.method() != HttpMethod.GET) {
            return "WebSocket upgrade with method " + req.method().name() + " (expected: GET, RFC 6455 §4.1)";
        }
        if (!req.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            return "WebSocket upgrade over " + req.protocolVersion().text() + " (expected: HTTP/1.1, RFC 6455 §4.1)";
        }
        if (h.contains(HttpHeaderNames.TRANSFER_ENCODING) || !"0".equals(h.get(HttpHeaderNames.CONTENT_LENGTH, "0").trim())) {
            return "WebSocket upgrade with a request body (expected: none, RFC 6455 §4.1)";
        }
        List<String> keys = h.getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (keys.size() != 1 || !validKey(keys.get(0).trim())) {
            return "Sec-WebSocket-Key missing, repeated or invalid (expected: one field, 16 random bytes in base64, RFC 6455 §4.1)";
        }
        List<String> versions = h.getAll(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (versions.size() != 1 || !versions.get(0).trim().equals("13")) {
            return "Sec-WebSocket-Version missing, repeated or not 13 (expected: one field, 13, RFC 6455 §4.1)";
        }
        return null;
    }

    private static boolean validKey(String key) {
        if (key.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Puts the upgrade back on a request head whose hop-by-hop fields were just removed:
     * {@code Connection: upgrade} and {@code Upgrade: websocket}, nothing else of what the client
     * offered.
     */
    public static void forward(HttpHeaders h) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        h.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    }

    /**
     * True when the target's {@code 101} switches to WebSocket: its {@code Upgrade} is
     * {@code websocket} and it carries {@code Sec-WebSocket-Accept} (which the client checks
     * against its key; a 101 without it is a Hixie-76 answer, whose body has no framing).
     */
    public static boolean accepted(HttpResponse res) {
        HttpHeaders h = res.headers();
        return res.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()
                && h.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && h.contains(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
    }

    /**
     * The target's {@code 101} as the client gets it: hop-by-hop fields removed, the upgrade
     * fields set again, no framing fields (a 1xx has no body, RFC 9110 §15.2), {@code Via} appended
     * by the caller. {@code Sec-WebSocket-Accept}, {@code -Protocol} and {@code -Extensions} pass.
     */
    public static void rewriteResponse(HttpResponse res) {
        HttpHeaders h = res.headers();
        HopByHop.strip(h);
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        res.setProtocolVersion(HttpVersion.HTTP_1_1);
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        h.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    }
}
