package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Routes compiled into lookup structures: host map → {@link PathTable}. Precedence (see
 * docs/routing.md): the most specific host bucket that has a match wins (exact host, then
 * wildcards longest suffix first, a one-label {@code +.} wildcard before an any-depth {@code *.}
 * one of the same suffix, then routes without hosts); inside a bucket exact paths, then regex
 * paths, then prefixes, longer prefixes first, then a method condition, then more header conditions,
 * then more query parameter conditions, then higher priority, then snapshot order. Immutable once compiled; safe to share between event loops.
 *
 * @param <T> what a match resolves to (the compiled service, balancer and key-auth of a route)
 */
public final class Router<T> {
    private final Map<String, PathTable<T>> exact;
    /** Keyed by the suffix with its leading dot: {@code *.example.com} → {@code .example.com}. */
    private final Map<String, PathTable<T>> wildcard;
    /** Keyed like {@link #wildcard}; matches only a host with exactly one label before the suffix. */
    private final Map<String, PathTable<T>> oneLabel;
    private final PathTable<T> anyHost;
    /** Each route's compiled parts by id, for the next snapshot's router to take over. */
    private final Map<String, Compiled<T>> byId;

    /** One route as compiled here: its matcher and destination. */
    private record Compiled<T>(RouteMatcher matcher, T destination) {
    }

    private Router(Map<String, PathTable<T>> exact, Map<String, PathTable<T>> wildcard, Map<String, PathTable<T>> oneLabel,
                   PathTable<T> anyHost, Map<String, Compiled<T>> byId) {
        this.exact = exact;
        this.wildcard = wildcard;
        this.oneLabel = oneLabel;
        this.anyHost = anyHost;
        this.byId = byId;
    }

    /**
     * @param routes      in snapshot order, the final tie-break
     * @param destination what each route resolves to; a route mapped to null is left out
     */
    public static <T> Router<T> compile(List<Route> routes, Function<Route, T> destination) {
        return compile(routes, null, (r, before) -> destination.apply(r));
    }

    /**
     * Compiles {@code routes}, taking over from {@code previous} what did not change: a route equal
     * to the one of the same id there keeps its compiled conditions and regexes, and its
     * destination is offered back to {@code destination} to keep or replace. The host and path
     * tables are rebuilt (cheap: hash inserts); nothing of {@code previous} is changed.
     *
     * @param routes      in snapshot order, the final tie-break
     * @param previous    the router of the snapshot before, or null
     * @param destination what each route resolves to, given the route and its destination in
     *                    {@code previous} when the route is equal there (else null); a route mapped
     *                    to null is left out
     */
    public static <T> Router<T> compile(List<Route> routes, Router<T> previous, BiFunction<Route, T, T> destination) {
        Map<String, PathTable<T>> exact = new HashMap<>();
        Map<String, PathTable<T>> wildcard = new HashMap<>();
        Map<String, PathTable<T>> oneLabel = new HashMap<>();
        PathTable<T> anyHost = new PathTable<>();
        Map<String, Compiled<T>> byId = new HashMap<>(routes.size() * 4 / 3 + 1);
        for (int order = 0; order < routes.size(); order++) {
            Route r = routes.get(order);
            Compiled<T> before = previous == null ? null : previous.byId.get(r.id());
            boolean same = before != null && before.matcher.route.equals(r);
            T dest = destination.apply(r, same ? before.destination : null);
            if (dest == null) {
                continue;
            }
            RouteMatcher matcher = same ? before.matcher : new RouteMatcher(r);
            byId.putIfAbsent(r.id(), new Compiled<>(matcher, dest));
            List<String> paths = r.paths().isEmpty() ? java.util.Collections.singletonList(null) : r.paths();
            for (String path : paths) {
                if (r.hosts().isEmpty()) {
                    anyHost.add(new RouteEntry<>(matcher, dest, order, path));
                }
                for (String host : r.hosts()) {
                    String h = host.toLowerCase(Locale.ROOT);
                    PathTable<T> table = h.startsWith(Route.ANY_LABELS)
                            ? wildcard.computeIfAbsent(h.substring(1), k -> new PathTable<>())
                            : h.startsWith(Route.ONE_LABEL)
                            ? oneLabel.computeIfAbsent(h.substring(1), k -> new PathTable<>())
                            : exact.computeIfAbsent(h, k -> new PathTable<>());
                    table.add(new RouteEntry<>(matcher, dest, order, path));
                }
            }
        }
        exact.values().forEach(PathTable::seal);
        wildcard.values().forEach(PathTable::seal);
        oneLabel.values().forEach(PathTable::seal);
        anyHost.seal();
        return new Router<>(Map.copyOf(exact), Map.copyOf(wildcard), Map.copyOf(oneLabel), anyHost, byId);
    }

    /** What route {@code routeId} resolves to in this router, or null when it is not in it. */
    public T destination(String routeId) {
        Compiled<T> c = byId.get(routeId);
        return c == null ? null : c.destination;
    }

    /** The compiled conditions and regexes of route {@code routeId}, or null; tests check what is reused. */
    RouteMatcher matcher(String routeId) {
        Compiled<T> c = byId.get(routeId);
        return c == null ? null : c.matcher;
    }

    /**
     * @param host   the Host header (any case, port allowed) or null
     * @param method the request method, upper case
     * @param path   the normalized path, without the query
     * @return the match, or null for none
     */
    public RouteMatch<T> match(String host, String method, String path, HttpHeaders headers) {
        return match(host, method, path, headers, null);
    }

    /**
     * @param rawQuery the request's query string (after {@code ?}, still encoded), or null for none
     * @return the match, or null for none
     */
    public RouteMatch<T> match(String host, String method, String path, HttpHeaders headers, String rawQuery) {
        String h = host == null ? "" : hostName(host);
        if (!h.isEmpty()) {
            PathTable<T> table = exact.get(h);
            if (table != null) {
                RouteMatch<T> m = table.match(method, path, headers, rawQuery);
                if (m != null) {
                    return m;
                }
            }
            if (!wildcard.isEmpty() || !oneLabel.isEmpty()) {
                int first = h.indexOf('.');
                for (int dot = first; dot >= 0; dot = h.indexOf('.', dot + 1)) {
                    String suffix = h.substring(dot);
                    if (dot == first && dot > 0 && !oneLabel.isEmpty()) {
                        PathTable<T> ot = oneLabel.get(suffix);
                        if (ot != null) {
                            RouteMatch<T> m = ot.match(method, path, headers, rawQuery);
                            if (m != null) {
                                return m;
                            }
                        }
                    }
                    PathTable<T> wt = wildcard.isEmpty() ? null : wildcard.get(suffix);
                    if (wt != null) {
                        RouteMatch<T> m = wt.match(method, path, headers, rawQuery);
                        if (m != null) {
                            return m;
                        }
                    }
                }
            }
        }
        return anyHost.match(method, path, headers, rawQuery);
    }

    /** Lower case, without the port; an IPv6 literal keeps its brackets. */
    static String hostName(String host) {
        String h = host.trim();
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && h.indexOf(']') < colon) {
            h = h.substring(0, colon);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.toLowerCase(Locale.ROOT);
    }
}
