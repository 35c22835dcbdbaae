package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One path of one route in one host bucket, with the route's method, header and query conditions
 * compiled (shared with the route's other entries through its {@link RouteMatcher}). Entries of a bucket are sorted by {@link #ORDER}, the Gateway API's order among matches
 * of equal path: a method condition first, then more header conditions, then more query parameter
 * conditions; then higher priority, then snapshot order.
 */
final class RouteEntry<T> {
    static final Comparator<RouteEntry<?>> ORDER = Comparator
            .comparingInt((RouteEntry<?> e) -> e.methods.isEmpty() ? 1 : 0)
            .thenComparingInt(e -> -e.headers.size())
            .thenComparingInt(e -> -e.query.length)
            .thenComparingInt(e -> -e.route.priority())
            .thenComparingLong(e -> e.order);

    final Route route;
    final T destination;
    /** The route's rank: orders like the route's index in the snapshot (see {@link Router#RANK_GAP}). */
    final long order;
    final String prefix;
    final Pattern regex;
    /** The path an exact entry ({@code =/a}) matches, without its mark; null for other kinds. */
    final String exact;
    private final Set<String> methods;
    /** Header name to accepted values, lower case. */
    private final Map<String, Set<String>> headers;
    private final QueryCondition[] query;

    /** @param path one of the matcher's route's paths, or null for a route without paths */
    RouteEntry(RouteMatcher matcher, T destination, long order, String path) {
        this.route = matcher.route;
        this.destination = destination;
        this.order = order;
        if (path != null && path.startsWith(Route.REGEX)) {
            this.regex = matcher.regex(path);
            this.prefix = null;
            this.exact = null;
        } else if (path != null && path.startsWith(Route.EXACT)) {
            this.regex = null;
            this.prefix = null;
            this.exact = path.substring(1);
        } else {
            this.regex = null;
            this.prefix = path;
            this.exact = null;
        }
        // copied from the matcher, not read through it: one field read less per candidate on the request path
        this.methods = matcher.methods;
        this.headers = matcher.headers;
        this.query = matcher.query;
    }

    /** @param rawQuery the request's query (after {@code ?}), or null; read only by routes with query conditions */
    boolean conditionsMatch(String method, HttpHeaders requestHeaders, String rawQuery) {
        if (!methods.isEmpty() && !methods.contains(method)) {
            return false;
        }
        for (QueryCondition q : query) {
            if (!q.matches(rawQuery)) {
                return false;
            }
        }
        if (headers.isEmpty()) {
            return true; // most routes: no entry set and iterator made per request to find that out
        }
        for (Map.Entry<String, Set<String>> h : headers.entrySet()) {
            if (!anyValueAccepted(requestHeaders.getAll(h.getKey()), h.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean anyValueAccepted(List<String> values, Set<String> accepted) {
        for (int i = 0; i < values.size(); i++) {
            if (accepted.contains(values.get(i).trim().toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** The length of the regex match anchored at the start of {@code path}, or -1. */
    int regexMatch(String path) {
        Matcher m = regex.matcher(path);
        return m.lookingAt() ? m.end() : -1;
    }
}
