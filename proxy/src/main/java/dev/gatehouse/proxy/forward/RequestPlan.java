package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.auth.QueryParameters;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.routing.RequestPath;
import dev.gatehouse.proxy.routing.RouteMatch;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do with a request head, decided before any upstream work: route it, run key-auth, and
 * rewrite the head for upstream (path, query, forwarded and consumer headers). Either the proxy
 * answers itself ({@link #status} set: 404, 401) or the request goes to {@link #route}.
 *
 * @param route      the matched route; null when the proxy answers itself
 * @param clientHost the Host the client asked for (the authority of an absolute-form target
 *                   wins, RFC 9112 §3.2.2); null when none
 * @param status     the proxy's own answer, or null
 * @param message    the JSON message of that answer
 * @param consumer   the authenticated consumer's username, or null
 */
record RequestPlan(CompiledRoute route, String clientHost, HttpResponseStatus status, String message, String consumer) {
    private static final Logger LOG = LoggerFactory.getLogger(RequestPlan.class);

    static RequestPlan of(HttpRequest request, CompiledSnapshot compiled, Channel client) {
        HttpHeaders h = request.headers();
        String uri = request.uri();
        String clientHost = h.get(HttpHeaderNames.HOST);
        String target = uri;
        int scheme = uri.startsWith("/") ? -1 : uri.indexOf("://");
        if (scheme > 0) {
            int slash = uri.indexOf('/', scheme + 3);
            clientHost = slash < 0 ? uri.substring(scheme + 3) : uri.substring(scheme + 3, slash);
            target = slash < 0 ? "/" : uri.substring(slash);
        }
        int hash = target.indexOf('#');
        if (hash >= 0) {
            target = target.substring(0, hash);
        }
        int q = target.indexOf('?');
        String path = RequestPath.normalize(q < 0 ? target : target.substring(0, q));
        String rawQuery = q < 0 ? null : target.substring(q + 1);

        RouteMatch<CompiledRoute> match = compiled.router().match(clientHost, request.method().name(), path, h);
        if (match == null) {
            return new RequestPlan(null, clientHost, HttpResponseStatus.NOT_FOUND, ErrorReply.NO_ROUTE, null);
        }
        CompiledRoute route = match.destination();
        if (route.service() == null) {
            // The route's service reference is unresolved: answer here rather than let the
            // request fall through to a less specific route that might not check keys.
            return new RequestPlan(route, clientHost, HttpResponseStatus.SERVICE_UNAVAILABLE, ErrorReply.NO_SERVICE, null);
        }
        KeyAuth.Outcome auth = null;
        String upstreamQuery = rawQuery;
        if (route.keyAuth() != null) {
            auth = route.keyAuth().authenticate(h, new QueryParameters(rawQuery));
            if (!auth.accepted()) {
                LOG.info("key-auth refused request_id={} route={}: {}", h.get(dev.gatehouse.proxy.http.ProxyHeaders.X_REQUEST_ID),
                        route.route().id(), auth.message());
                route.meters().keyAuthFailed(auth.message());
                return new RequestPlan(route, clientHost, HttpResponseStatus.UNAUTHORIZED, auth.message(), null);
            }
            if (route.keyAuth().hideCredentials() && auth.keyParam() != null) {
                upstreamQuery = new QueryParameters(rawQuery).without(auth.keyParam());
            }
        }
        String upstreamUri = match.upstreamPath(route.service().path()) + (upstreamQuery == null ? "" : "?" + upstreamQuery);
        String hostName = clientHost == null ? null : hostWithoutPort(clientHost);
        UpstreamRequest.rewrite(request, upstreamUri, HttpUtil.isTransferEncodingChunked(request), hostName,
                client.remoteAddress(), client.localAddress());
        if (auth != null) {
            UpstreamRequest.authenticated(h, auth, route.keyAuth().hideCredentials());
        }
        return new RequestPlan(route, clientHost, null, null, auth == null ? null : auth.consumer().username());
    }

    private static String hostWithoutPort(String host) {
        int colon = host.lastIndexOf(':');
        return colon >= 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host;
    }
}
