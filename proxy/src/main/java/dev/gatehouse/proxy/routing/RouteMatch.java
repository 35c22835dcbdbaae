package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;

/**
 * The route a request matched.
 *
 * @param route       the matched route
 * @param destination what the router was compiled with for this route
 * @param path        the normalized request path the match was made on
 * @param matched     how many leading characters of {@code path} the route's path matched
 *                    (a prefix's length, the end of a regex match, 0 for a route without paths)
 */
public record RouteMatch<T>(Route route, T destination, String path, int matched) {
    /** The path to send upstream behind the service path {@code base}. */
    public String upstreamPath(String base) {
        return PathRewrite.upstreamPath(base, route.stripPath(), path, matched);
    }
}
