package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.List;

/**
 * Removes hop-by-hop fields (RFC 9110 §7.6.1): Connection and every field it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding (the codec re-frames the body) and Upgrade.
 * Applied to requests going upstream and to responses going back to the client.
 */
public final class HopByHop {
    private HopByHop() {
    }

    public static void strip(HttpHeaders headers) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (int i = 0; i < connection.size(); i++) {
            for (String token : connection.get(i).split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    headers.remove(name);
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(ProxyHeaders.PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.UPGRADE);
    }
}
