package dev.gatehouse.config;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What a route does to a request besides choosing where it goes: the Gateway API's HTTPRoute
 * filters. Applied by the proxy on its compiled form, never re-read per request; a route without
 * filters carries none (null) and pays nothing for them.
 *
 * @param request  edits of the request head sent upstream; null for none
 * @param response edits of the response head the client gets from upstream; null for none
 * @param redirect the route answers every request it takes with this redirect, no upstream; null for none
 * @param fullPath the path sent upstream, replacing the request's whole path (the query is kept; the
 *                 service path goes in front); null keeps the request's path
 */
public record RouteFilters(HeaderEdits request, HeaderEdits response, Redirect redirect, String fullPath) {
    /**
     * Header names no filter may set, add or remove: hop-by-hop fields and framing (RFC 9110 §7.6.1,
     * the proxy frames every message itself), {@code Host} (a URLRewrite {@code hostname} sets it),
     * and the headers the proxy itself vouches for: forwarding ({@code X-Forwarded-*},
     * {@code Forwarded}, {@code Via}), {@code X-Request-Id} and the key-auth identity headers
     * ({@code X-Consumer-*}, {@code X-Credential-Identifier}, {@code X-Anonymous-Consumer}). A backend
     * trusts those to come from the proxy; a route's filter could otherwise forge them.
     */
    public static final Set<String> RESERVED = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "host", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-port", "forwarded", "via", "x-request-id", "x-consumer-id",
            "x-consumer-custom-id", "x-consumer-username", "x-credential-identifier", "x-anonymous-consumer");

    /** Redirect statuses the Gateway API allows (RequestRedirect {@code statusCode}), and 303, 307 and 308. */
    public static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 303, 307, 308);

    /**
     * Why {@code name} cannot be a filter's header name, or null when it can: a token (RFC 9110 §5.6.2),
     * not {@link #RESERVED}. One rule for the translator and the snapshot validator.
     */
    public static String refusedName(String name) {
        if (name == null || name.isEmpty()) {
            return "empty (expected: a header name)";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!token) {
                return "\"" + name + "\" (expected: a header name of letters, digits and !#$%&'*+-.^_`|~)";
            }
        }
        if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
            return "\"" + name + "\" is set by the proxy itself and cannot be changed by a filter (hop-by-hop, framing, Host, "
                    + "X-Forwarded-*, Forwarded, Via, X-Request-Id and key-auth identity headers are reserved)";
        }
        return null;
    }

    /** Why {@code value} cannot be a header value, or null when it can: visible ASCII, spaces and tabs (RFC 9110 §5.5). */
    public static String refusedValue(String value) {
        if (value == null) {
            return "missing (expected: a header value)";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c >= 0x7f) {
                return "a control or non-ASCII character at index " + i + " (expected: visible ASCII, spaces and tabs)";
            }
        }
        return null;
    }

    /**
     * Header edits, applied in Envoy's order: every {@code remove} drops a name, then {@code set}
     * replaces every value of a name, then {@code add} appends a value (a name already present keeps
     * its values). Names are case-insensitive.
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record HeaderEdits(List<Header> set, List<Header> add, List<String> remove) {
        public HeaderEdits {
            set = List.copyOf(Objects.requireNonNullElse(set, List.of()));
            add = List.copyOf(Objects.requireNonNullElse(add, List.of()));
            remove = List.copyOf(Objects.requireNonNullElse(remove, List.of()));
        }

        public boolean isEmpty() {
            return set.isEmpty() && add.isEmpty() && remove.isEmpty();
        }
    }

    /** One header field. */
    public record Header(String name, String value) {
    }

    /**
     * The Gateway API's RequestRedirect: {@code Location} is {@code scheme://hostname[:port]path[?query]}.
     *
     * @param scheme      {@code http} or {@code https}; null keeps the request's ({@code https} on the TLS port)
     * @param hostname    null keeps the request's host (without its port)
     * @param port        null leaves the port out, so the scheme's well-known port applies; a port equal to
     *                    the resulting scheme's well-known one is left out too
     * @param fullPath    the redirect's path; null unless ReplaceFullPath
     * @param prefix      replaces the part of the path the route's prefix matched; null unless
     *                    ReplacePrefixMatch (the route's paths are then prefixes)
     * @param statusCode  one of {@link #REDIRECT_STATUSES}
     * @param listenerPort    with neither {@code scheme} nor {@code port}: the port of the listener a cleartext
     *                        request came through (the Gateway API's rule: "If redirect scheme is empty, the
     *                        redirect port MUST be the Gateway Listener port"), left out when it is 80; null
     *                        when it is 80 anyway
     * @param tlsListenerPort the same for a request over TLS, left out when it is 443; null when it is 443
     */
    public record Redirect(String scheme, String hostname, Integer port, String fullPath, String prefix, int statusCode,
                           Integer listenerPort, Integer tlsListenerPort) {
        /** A redirect on the well-known listener ports. */
        public Redirect(String scheme, String hostname, Integer port, String fullPath, String prefix, int statusCode) {
            this(scheme, hostname, port, fullPath, prefix, statusCode, null, null);
        }

        /** This redirect with the listener ports a request keeps when neither scheme nor port is set. */
        public Redirect withListenerPorts(Integer listenerPort, Integer tlsListenerPort) {
            return new Redirect(scheme, hostname, port, fullPath, prefix, statusCode, listenerPort, tlsListenerPort);
        }
    }
}
