package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.auth.QueryParameters;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.routing.CompiledFilters;
import dev.gatehouse.proxy.routing.PathRewrite;
import dev.gatehouse.proxy.routing.RequestHost;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.config.RequestPath;
import dev.gatehouse.proxy.routing.RouteMatch;
import dev.gatehouse.proxy.tls.ClientTls;
import dev.gatehouse.proxy.tls.Listener;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do with a request head, decided before any upstream work: route it, redirect it to
 * {@code https://} (a route's {@code httpsRedirect}, for a request on the cleartext port), run
 * key-auth, answer it from the route itself (a filter's redirect or a direct status, after key-auth
 * as Envoy Gateway does: docs/decisions.md), and rewrite the head for upstream (path, query,
 * framing, forwarded and consumer headers, then the route's header edits). Either the proxy answers
 * itself ({@link #status} set: 400 for a refused path, 404, 308, 413, 401, 503, a redirect, a direct
 * status) or the request goes to {@link #route}. The path is normalised once, here, before routing and
 * key-auth ({@link RequestPath}); the rewritten upstream path must stay under the service path.
 *
 * <p>What it holds once {@link #decide}d: {@code route}, the matched route (null when the proxy
 * answers itself); {@code clientHost}, the Host the client asked for (the authority of an
 * absolute-form target wins, RFC 9112 §3.2.2), read once for every reader, null when none;
 * {@code status}, the proxy's own answer or null; {@code message}, the JSON message of that answer
 * (for a 308, the {@code Location}: {@link ErrorReply}); {@code consumer}, the authenticated
 * consumer's username or null. One plan per {@link Exchange}, decided again for each request it
 * carries (a kept-alive connection's exchange is reused), so deciding allocates no plan.
 */
final class RequestPlan {
    private CompiledRoute route;
    private RequestHost clientHost;
    /**
     * The host of this plan's last request, with its own copy of the bytes ({@link RequestHost#kept}):
     * the next request of a kept-alive connection names the same one nearly always, and takes it
     * again instead of reading the name and its lower-case form afresh.
     */
    private RequestHost lastHost;
    private HttpResponseStatus status;
    private String message;
    private String consumer;

    CompiledRoute route() {
        return route;
    }

    RequestHost clientHost() {
        return clientHost;
    }

    HttpResponseStatus status() {
        return status;
    }

    String message() {
        return message;
    }

    String consumer() {
        return consumer;
    }

    /** Holds one decision ({@link #decide}); made once per exchange and decided again for each request it carries. */
    private RequestPlan set(CompiledRoute route, RequestHost clientHost, HttpResponseStatus status, String message, String consumer) {
        this.route = route;
        this.clientHost = clientHost;
        this.status = status;
        this.message = message;
        this.consumer = consumer;
        return this;
    }

    /** The request's host: the last request's when it named the same, else read and kept ({@link #lastHost}). */
    private RequestHost host(CharSequence received) {
        if (received == null) {
            return null;
        }
        RequestHost h = lastHost;
        if (h == null || !h.sameAs(received)) {
            h = RequestHost.kept(received);
            lastHost = h;
        }
        return h;
    }

    private static final Logger LOG = LoggerFactory.getLogger(RequestPlan.class);
    private static final RateLimitedLog KEYAUTH_REFUSED = RateLimitedLog.of(LOG, "keyauth.refused");

    /**
     * @param requestId the request's {@code X-Request-Id} (for the refusals' log lines)
     * @param from      who sent the request, by the trusted-proxies rule; {@code client} is its connection
     */
    RequestPlan decide(HttpRequest request, String requestId, CompiledSnapshot compiled, Channel client, ClientAddress from,
                          EdgeMeters edge) {
        HttpHeaders h = request.headers();
        if (h.contains(ProxyHeaders.X_FORWARDED_FOR)) {
            edge.forwardedFor(from.peerTrusted());
        }
        String uri = request.uri();
        RequestHost clientHost = null;
        String target = uri;
        int scheme = uri.startsWith("/") ? -1 : uri.indexOf("://");
        if (scheme > 0) {
            // absolute-form: its authority wins over Host (RFC 9112 §3.2.2); the gate checked its shape
            int slash = uri.indexOf('/', scheme + 3);
            int q = uri.indexOf('?', scheme + 3);
            int end = slash < 0 ? (q < 0 ? uri.length() : q) : (q >= 0 && q < slash ? q : slash);
            clientHost = host(uri.substring(scheme + 3, end));
            target = end == uri.length() ? "/" : uri.charAt(end) == '?' ? "/" + uri.substring(end) : uri.substring(end);
        } else {
            // the Host, read once for the TLS check, the router, X-Forwarded-Host and the upstream Host
            clientHost = host(hostOf(request));
            if (uri.equals("*")) {
                target = "/";
            }
        }
        ClientTls tls = client.attr(ClientTls.KEY).get();
        if (tls != null && clientHost != null && tls.misdirected(clientHost.authority())) {
            return refused(edge, EdgeMeters.Reason.MISDIRECTED, null, clientHost, MISDIRECTED, misdirected(tls), requestId);
        }
        int q = target.indexOf('?');
        String rawQuery = q < 0 ? null : target.substring(q + 1);
        String path;
        try {
            path = RequestPath.normalize(q < 0 ? target : target.substring(0, q));
        } catch (RequestPath.Refused e) {
            return refused(edge, EdgeMeters.Reason.BAD_PATH, null, clientHost, HttpResponseStatus.BAD_REQUEST, e.getMessage(), requestId);
        }

        String hostName = clientHost == null ? "" : clientHost.routingName();
        RouteMatch<CompiledRoute> match = compiled.router().matchName(hostName, request.method().name(), path, h, rawQuery);
        if (match == null) {
            return set(null, clientHost, HttpResponseStatus.NOT_FOUND, ErrorReply.NO_ROUTE, null);
        }
        CompiledRoute route = match.destination();
        Listener listener = Listener.of(client);
        if (route.route().httpsRedirect() && !listener.isTls()) {
            // before key-auth and body limits: a redirect says nothing about a key, and no body is read for it
            return redirect(route, clientHost, target, listener.httpsPort(), edge, requestId);
        }
        if (!route.route().allowEncodedSlashes() && RequestPath.hasEncodedSlash(path)) {
            return refused(edge, EdgeMeters.Reason.BAD_PATH, route, clientHost, HttpResponseStatus.BAD_REQUEST, ENCODED_SLASH, requestId);
        }
        CompiledFilters filters = route.filters();
        if (route.service() == null && (filters == null || !filters.answersAll())) {
            // The route's service reference is unresolved: answer here rather than let the
            // request fall through to a less specific route that might not check keys.
            return set(route, clientHost, HttpResponseStatus.SERVICE_UNAVAILABLE, ErrorReply.NO_SERVICE, null);
        }
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        long contentLength = chunked ? -1 : declaredLength(h);
        Long max = route.route().maxBodySize();
        if (max != null && contentLength > max) {
            return refused(edge, EdgeMeters.Reason.BODY_SIZE, route, clientHost, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    bodyTooLarge(max), requestId);
        }
        KeyAuth.Outcome auth = null;
        String upstreamQuery = rawQuery;
        if (route.keyAuth() != null) {
            auth = route.keyAuth().authenticate(h, new QueryParameters(rawQuery), compiled.credentials());
            if (!auth.accepted()) {
                KEYAUTH_REFUSED.info("request_id={} route={} reason=\"{}\"", requestId,
                        route.route().id(), auth.message());
                route.meters().keyAuthFailed(auth.message());
                return set(route, clientHost, HttpResponseStatus.UNAUTHORIZED, auth.message(), null);
            }
            if (route.keyAuth().hideCredentials() && auth.keyParam() != null) {
                upstreamQuery = new QueryParameters(rawQuery).without(auth.keyParam());
            }
        }
        HttpResponseStatus own = filters == null ? null : filters.answer();
        if (own != null) {
            return answer(route, filters, own, clientHost, match, upstreamQuery, listener.isTls(), edge, requestId, auth);
        }
        String base = route.service().path();
        String upstreamPath = PathRewrite.confined(base, filters == null ? match.upstreamPath(base) : filters.upstreamPath(base, match));
        if (upstreamPath == null) {
            return refused(edge, EdgeMeters.Reason.BAD_PATH, route, clientHost, HttpResponseStatus.BAD_REQUEST, ESCAPES_SERVICE_PATH, requestId);
        }
        String upstreamUri = upstreamQuery == null ? upstreamPath : upstreamPath + "?" + upstreamQuery;
        UpstreamRequest.rewrite(request, upstreamUri, chunked, contentLength, clientHost == null ? null : clientHost.name(), from,
                client.localAddress(), listener.isTls());
        if (auth != null) {
            UpstreamRequest.authenticated(h, auth, route.keyAuth().hideCredentials());
        }
        if (filters != null) {
            filters.editRequest(h);
        }
        return set(route, clientHost, null, null, auth == null ? null : auth.consumer().username());
    }

    /** The Host value: the one the gate checked and kept on the request, else looked up (an HTTP/2 stream's head). */
    private static CharSequence hostOf(HttpRequest request) {
        CharSequence checked = request instanceof ParsedRequest p ? p.host() : null;
        return checked != null ? checked : request.headers().get(HttpHeaderNames.HOST);
    }

    /**
     * {@code 308 Permanent Redirect} (RFC 9110 §15.4.9: the method and body are kept by the client)
     * to {@code https://host[:port]target}; the port is left out when it is 443 or unknown. A
     * request without a Host cannot be sent anywhere: 400.
     */
    private RequestPlan redirect(CompiledRoute route, RequestHost clientHost, String target, int httpsPort, EdgeMeters edge,
                                        String requestId) {
        if (clientHost == null || clientHost.isEmpty()) {
            return refused(edge, EdgeMeters.Reason.BAD_REQUEST, route, null, HttpResponseStatus.BAD_REQUEST, NO_HOST_TO_REDIRECT, requestId);
        }
        String host = clientHost.name();
        String port = httpsPort == 0 || httpsPort == 443 ? "" : ":" + httpsPort;
        return set(route, clientHost, HttpResponseStatus.PERMANENT_REDIRECT, "https://" + host + port + target, null);
    }

    /**
     * The route's own answer, after key-auth: its redirect (the query kept, without a hidden key) or its
     * direct status. A redirect that keeps the request's host needs one: 400 without.
     */
    private RequestPlan answer(CompiledRoute route, CompiledFilters filters, HttpResponseStatus status, RequestHost clientHost,
                                      RouteMatch<CompiledRoute> match, String query, boolean tls, EdgeMeters edge,
                                      String requestId, KeyAuth.Outcome auth) {
        String consumer = auth == null ? null : auth.consumer().username();
        if (!filters.redirects()) {
            return set(route, clientHost, status, CompiledFilters.DIRECT, consumer);
        }
        String location = filters.location(tls, clientHost == null ? null : clientHost.authority(), match, query);
        if (location == null) {
            return refused(edge, EdgeMeters.Reason.BAD_REQUEST, route, null, HttpResponseStatus.BAD_REQUEST, NO_HOST_TO_KEEP, requestId);
        }
        return set(route, clientHost, status, location, consumer);
    }

    static final String NO_HOST_TO_KEEP = "no Host to redirect to (expected: a Host header; the route's redirect keeps the"
            + " request's host)";

    static final String NO_HOST_TO_REDIRECT = "no Host to redirect to https:// (expected: a Host header; the route sets"
            + " httpsRedirect)";

    /** A request the edge refuses after its head was read: counted by reason, logged (rate-limited), answered. */
    private RequestPlan refused(EdgeMeters edge, EdgeMeters.Reason reason, CompiledRoute route, RequestHost clientHost,
                                       HttpResponseStatus status, String message, String requestId) {
        edge.count(reason);
        RequestGate.REQUEST_REFUSED.info("status={} request_id={} route={} reason=\"{}\"", status.code(),
                requestId, route == null ? "none" : route.route().id(), message);
        return set(route, clientHost, status, message, null);
    }

    /** RFC 9110 §15.5.20. */
    static final HttpResponseStatus MISDIRECTED = HttpResponseStatus.valueOf(421, "Misdirected Request");

    static String misdirected(ClientTls tls) {
        return "this connection was opened for " + tls.sni() + " (TLS server name), whose certificate does not serve the "
                + "requested host (expected: a new connection with the host as server name)";
    }

    static final String ENCODED_SLASH = "encoded slash (%2F or %5C) in the path (expected: plain / separators;"
            + " the route may set allowEncodedSlashes)";
    static final String ESCAPES_SERVICE_PATH = "the rewritten path leaves the service path (expected: a path that stays under it)";

    static String bodyTooLarge(long max) {
        return "request body too large (expected: at most " + max + " bytes, the route's maxBodySize)";
    }

    /**
     * The body length the decoder framed the request with: the single Content-Length the gate let
     * through, or -1 without one (no body).
     */
    static long declaredLength(HttpHeaders h) {
        String value = h.get(HttpHeaderNames.CONTENT_LENGTH);
        return value == null ? -1 : Long.parseLong(value.trim());
    }
}
