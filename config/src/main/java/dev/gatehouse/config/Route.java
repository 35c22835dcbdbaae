package dev.gatehouse.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which requests match, and what is done to them before they go to the service.
 *
 * @param id           {@code namespace/name}
 * @param source       the GatewayRoute it was made from
 * @param service      id of the service matched requests go to; null when the route's service
 *                     reference is unresolved: matched requests then get 503 rather than falling
 *                     through to a less specific route (which might not check keys)
 * @param hosts        lower case: exact names, {@code *.suffix} wildcards (one or more labels before
 *                     the suffix: {@code *.example.com} matches {@code a.example.com} and
 *                     {@code a.b.example.com}), or {@code +.suffix} wildcards (exactly one label:
 *                     {@code +.example.com} matches {@code a.example.com} only, as an Ingress
 *                     {@code *.example.com} does); empty matches any host
 * @param paths        prefixes matched on segment boundaries ({@code /a}), regexes marked by a
 *                     leading {@code ~} ({@code ~/users/\d+}), or exact paths marked by a leading
 *                     {@code =} ({@code =/a} matches {@code /a} only); empty matches any path
 * @param methods      upper case; empty matches any method
 * @param headers      lower-case header name to accepted values; every name must match one value
 * @param stripPath    remove the matched prefix before forwarding (Kong's default: true)
 * @param preserveHost send the client's Host upstream instead of the target's
 * @param priority     higher wins among otherwise equal matches
 * @param keyAuth      the effective key-auth settings (route settings over service ones); null when off
 * @param maxBodySize  the largest request body accepted, in bytes (413 above it); null for no limit
 * @param allowEncodedSlashes keep {@code %2F} and {@code %5C} in the path; by default such a
 *                     request is refused with 400, as a backend that decodes them would see a
 *                     different path than the one the route matched
 * @param httpsRedirect answer requests that came in cleartext with {@code 308} to the same
 *                     URL over {@code https://}; requests over TLS are served
 * @param websocketIdleTimeoutMillis how long a WebSocket tunnel of this route may stay silent
 *                     both ways before both sides are closed; null for the default
 *                     ({@link #DEFAULT_WEBSOCKET_IDLE_TIMEOUT_MILLIS})
 */
public record Route(String id, Source source, String service, List<String> hosts, List<String> paths,
                    List<String> methods, Map<String, List<String>> headers, boolean stripPath,
                    boolean preserveHost, int priority, KeyAuth keyAuth, Long maxBodySize,
                    boolean allowEncodedSlashes, boolean httpsRedirect, Long websocketIdleTimeoutMillis) {
    /** One hour, as the tunnel idle timeout of Envoy's and Contour's WebSocket routes is long by default. */
    public static final long DEFAULT_WEBSOCKET_IDLE_TIMEOUT_MILLIS = 3_600_000L;
    /** Marks a regex path. */
    public static final String REGEX = "~";
    /** Marks an exact path. */
    public static final String EXACT = "=";
    /** Marks a wildcard host of any depth. */
    public static final String ANY_LABELS = "*.";
    /** Marks a wildcard host of exactly one label. */
    public static final String ONE_LABEL = "+.";

    public Route {
        Objects.requireNonNull(id, "id");
        hosts = List.copyOf(Objects.requireNonNullElse(hosts, List.of()));
        paths = List.copyOf(Objects.requireNonNullElse(paths, List.of()));
        methods = List.copyOf(Objects.requireNonNullElse(methods, List.of()));
        headers = Map.copyOf(Objects.requireNonNullElse(headers, Map.of()));
    }

    /** A route without a body limit that refuses encoded slashes. */
    public Route(String id, Source source, String service, List<String> hosts, List<String> paths,
                 List<String> methods, Map<String, List<String>> headers, boolean stripPath,
                 boolean preserveHost, int priority, KeyAuth keyAuth) {
        this(id, source, service, hosts, paths, methods, headers, stripPath, preserveHost, priority, keyAuth, null, false);
    }

    /** A route without https redirect and with the default WebSocket idle timeout. */
    public Route(String id, Source source, String service, List<String> hosts, List<String> paths,
                 List<String> methods, Map<String, List<String>> headers, boolean stripPath,
                 boolean preserveHost, int priority, KeyAuth keyAuth, Long maxBodySize, boolean allowEncodedSlashes) {
        this(id, source, service, hosts, paths, methods, headers, stripPath, preserveHost, priority, keyAuth, maxBodySize,
                allowEncodedSlashes, false, null);
    }

    /** The WebSocket tunnel idle timeout in effect. */
    public long websocketIdleTimeout() {
        return websocketIdleTimeoutMillis == null ? DEFAULT_WEBSOCKET_IDLE_TIMEOUT_MILLIS : websocketIdleTimeoutMillis;
    }

    /** This route with {@code httpsRedirect} set as given, everything else unchanged. */
    public Route withHttpsRedirect(boolean redirect) {
        return redirect == httpsRedirect ? this : new Route(id, source, service, hosts, paths, methods, headers, stripPath,
                preserveHost, priority, keyAuth, maxBodySize, allowEncodedSlashes, redirect, websocketIdleTimeoutMillis);
    }

    /**
     * Kong's key-auth plugin settings.
     *
     * @param keyNames        header names, and query parameter names when {@code keyInQuery}
     * @param keyInHeader     look for the key in request headers
     * @param keyInQuery      look for the key in the query string
     * @param hideCredentials remove the key before the request goes upstream
     * @param anonymous       id of the consumer used when no key is given; null for none
     */
    public record KeyAuth(List<String> keyNames, boolean keyInHeader, boolean keyInQuery,
                          boolean hideCredentials, String anonymous) {
        public static final List<String> DEFAULT_KEY_NAMES = List.of("apikey");

        public KeyAuth {
            keyNames = keyNames == null || keyNames.isEmpty() ? DEFAULT_KEY_NAMES : List.copyOf(keyNames);
        }
    }
}
