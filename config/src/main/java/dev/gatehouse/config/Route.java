package dev.gatehouse.config;

import com.fasterxml.jackson.annotation.JsonInclude;

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
 * @param queryParams  query parameters the request must carry, each with an exact value or a value
 *                     matching a regex; every one must match (the first occurrence of a name in the
 *                     request counts); empty matches any query
 * @param filters      header edits, a redirect or a path rewrite ({@link RouteFilters}); null for none
 * @param directStatus the route answers every request it takes with this status itself, no upstream
 *                     (the Gateway API's 500 for a rule without a usable backend); null for none. Like
 *                     a redirect, it is answered after key-auth
 * @param directShare  with a {@code directStatus} and a service: only this share of the route's requests
 *                     gets the direct status, exactly {@code part} of every {@code of} in arrival order;
 *                     the rest go to the service (the Gateway API's 500 for the share of an unusable
 *                     backendRef beside usable ones); null: every request gets it
 */
public record Route(String id, Source source, String service, List<String> hosts, List<String> paths,
                    List<String> methods, Map<String, List<String>> headers, boolean stripPath,
                    boolean preserveHost, int priority, KeyAuth keyAuth, Long maxBodySize,
                    boolean allowEncodedSlashes, boolean httpsRedirect, Long websocketIdleTimeoutMillis,
                    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<QueryMatch> queryParams, RouteFilters filters,
                    Integer directStatus, Share directShare) {
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
        queryParams = List.copyOf(Objects.requireNonNullElse(queryParams, List.of()));
    }

    /** A route without query parameter matches, filters or direct answer. */
    public Route(String id, Source source, String service, List<String> hosts, List<String> paths,
                 List<String> methods, Map<String, List<String>> headers, boolean stripPath,
                 boolean preserveHost, int priority, KeyAuth keyAuth, Long maxBodySize, boolean allowEncodedSlashes,
                 boolean httpsRedirect, Long websocketIdleTimeoutMillis) {
        this(id, source, service, hosts, paths, methods, headers, stripPath, preserveHost, priority, keyAuth, maxBodySize,
                allowEncodedSlashes, httpsRedirect, websocketIdleTimeoutMillis, null, null, null, null);
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

    /** This route with {@code httpsRedirect} set to {@code redirect}. */
    public Route withHttpsRedirect(boolean redirect) {
        return redirect == httpsRedirect ? this : new Route(id, source, service, hosts, paths, methods, headers, stripPath, preserveHost, priority, keyAuth,
                maxBodySize, allowEncodedSlashes, redirect, websocketIdleTimeoutMillis, queryParams, filters, directStatus, directShare);
    }

    /**
     * One query parameter condition. Names and values are compared case-sensitively, after
     * percent-decoding the request's ({@code +} is a space), as the Gateway API asks.
     *
     * @param name  the parameter name
     * @param value the exact value, or a regex the whole value must match when {@code regex}
     * @param regex whether {@code value} is a (Java) regular expression
     */
    public record QueryMatch(String name, String value, boolean regex) {
    }

    /**
     * A share of a route's requests: {@code part} of every {@code of}.
     *
     * @param part 1..of-1
     * @param of   2..{@link #MAX_OF}
     */
    public record Share(long part, long of) {
        /** The largest denominator: sums of Gateway API weights (each at most 1,000,000) stay far below it. */
        public static final long MAX_OF = 1L << 31;
    }

    /** The WebSocket tunnel idle timeout in effect. */
    public long websocketIdleTimeout() {
        return websocketIdleTimeoutMillis == null ? DEFAULT_WEBSOCKET_IDLE_TIMEOUT_MILLIS : websocketIdleTimeoutMillis;
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
