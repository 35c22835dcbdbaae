package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ProxyHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * The hash of a request's {@code hashOn} value, read without copying where the value is a
 * header. Called on the request as it goes upstream: the path is the upstream path, the
 * consumer is the {@code X-Consumer-ID} key-auth set (clients cannot send their own); the client
 * IP is the real client's by the trusted-proxies rule ({@link ClientAddress}), so a client keeps
 * its target whether it comes directly or through a trusted load balancer.
 */
final class HashKey {
    /** No value to hash on. */
    static final long ABSENT = 0;

    private HashKey() {
    }

    static long of(Upstream.HashOn on, HttpRequest request, ClientAddress client) {
        if (on == null) {
            return ABSENT;
        }
        HttpHeaders h = request.headers();
        return switch (on.source()) {
            case CLIENT_IP -> clientIp(client);
            case HEADER -> of(h.get(on.name()));
            case CONSUMER -> of(h.get(ProxyHeaders.X_CONSUMER_ID));
            case COOKIE -> cookie(h, on.name());
            case PATH -> {
                String uri = request.uri();
                int q = uri.indexOf('?');
                yield nonZero(Hashing.hash(uri, 0, q < 0 ? uri.length() : q, 0));
            }
            case QUERY_PARAM -> query(request.uri(), on.name());
        };
    }

    /**
     * An IPv4 client hashes its 32-bit address (the value {@code Inet4Address.hashCode()} gave
     * before, so IPv4 clients keep their targets across the upgrade); an IPv6 client both halves.
     */
    static long clientIp(ClientAddress client) {
        if (client == null || !client.known()) {
            return ABSENT;
        }
        long x = client.isV4() ? (int) client.lo() : client.hi() * 0xC2B2AE3D27D4EB4FL + client.lo();
        return nonZero(Hashing.mix(x * 0x9E3779B97F4A7C15L));
    }

    private static long of(String value) {
        return value == null ? ABSENT : nonZero(Hashing.hash(value, 0));
    }

    private static long nonZero(long h) {
        return h == ABSENT ? 1 : h;
    }

    /** The value of cookie {@code name} (RFC 6265 §4.2: {@code name=value; name2=value2}), or null. */
    static String cookieValue(HttpHeaders h, String name) {
        for (String header : h.getAll(HttpHeaderNames.COOKIE)) {
            int i = 0;
            int n = header.length();
            while (i < n) {
                while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ';')) {
                    i++;
                }
                int end = header.indexOf(';', i);
                if (end < 0) {
                    end = n;
                }
                int eq = header.indexOf('=', i);
                if (eq > i && eq < end && eq - i == name.length() && header.regionMatches(i, name, 0, name.length())) {
                    int from = eq + 1;
                    int to = end;
                    while (to > from && header.charAt(to - 1) == ' ') {
                        to--;
                    }
                    return header.substring(from, to);
                }
                i = end + 1;
            }
        }
        return null;
    }

    private static long cookie(HttpHeaders h, String name) {
        String v = cookieValue(h, name);
        return v == null || v.isEmpty() ? ABSENT : nonZero(Hashing.hash(v, 0));
    }

    /** The raw (not decoded) value of the first query parameter {@code name}; absent when missing. */
    private static long query(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return ABSENT;
        }
        int i = q + 1;
        int n = uri.length();
        while (i < n) {
            int end = uri.indexOf('&', i);
            if (end < 0) {
                end = n;
            }
            int eq = uri.indexOf('=', i);
            int nameEnd = eq < 0 || eq > end ? end : eq;
            if (nameEnd - i == name.length() && uri.regionMatches(i, name, 0, name.length())) {
                return nonZero(Hashing.hash(uri, Math.min(nameEnd + 1, end), end, 0));
            }
            i = end + 1;
        }
        return ABSENT;
    }
}
