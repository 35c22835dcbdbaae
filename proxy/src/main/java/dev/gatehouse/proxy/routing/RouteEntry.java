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
 * compiled. Entries of a bucket are sorted by {@link #ORDER}, the Gateway API's order among matches
 * of equal path: a method condition first, then more header conditions, then more query parameter
 * conditions; then higher priority, then snapshot order.
 */
final class RouteEntry<T> {
    static final Comparator<RouteEntry<?>> ORDER = Comparator
            .comparingInt((RouteEntry<?> e) -> e.methods.isEmpty() ? 1 : 0)
            .thenComparingInt(e -> -e.headers.size())
            .thenComparingInt(e -> -e.query.length)
            .thenComparingInt(e -> -e.route.priority())
            .thenComparingInt(e -> e.order);

    final Route route;
    final T destination;
    final int order;
    final String prefix;
    final Pattern regex;
    /** The path an exact entry ({@code =/a}) matches, without its mark; null for other kinds. */
    final String exact;
    private final Set<String> methods;
    /** Header name to accepted values, lower case. */
    private final Map<String, Set<String>> headers;
    private final QueryCondition[] query;

    RouteEntry(Route route, T destination, int order, String path) {
        this.route = route;
        this.destination = destination;
        this.order = order;
        if (path != null && path.startsWith(Route.REGEX)) {
            this.regex = Pattern.compile(path.substring(1));
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
        this.methods = Set.copyOf(route.methods());
        this.headers = route.headers().entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(
                e -> e.getKey().toLowerCase(Locale.ROOT),
                e -> Set.copyOf(e.getValue().stream().map(v -> v.toLowerCase(Locale.ROOT)).toList())));
        this.query = route.queryParams().stream().map(QueryCondition::new).toArray(QueryCondition[]::new);
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
