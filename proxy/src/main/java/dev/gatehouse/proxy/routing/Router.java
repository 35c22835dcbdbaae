package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
    /**
     * A route compiled from scratch at index {@code i} ranks {@code (i + 1) * RANK_GAP}: ranks keep
     * the snapshot order (the final tie-break) while leaving room for routes a patch inserts
     * between two others (2^20 ranks: 20 halvings of one gap before a compile from scratch).
     */
    static final long RANK_GAP = 1L << 20;

    /** Host maps and routes by id are {@link Shards}: a patch copies the shards of the keys it changes alone. */
    final Shards<PathTable<T>> exact;
    /** Keyed by the suffix with its leading dot: {@code *.example.com} → {@code .example.com}. */
    final Shards<PathTable<T>> wildcard;
    /** Keyed like {@link #wildcard}; matches only a host with exactly one label before the suffix. */
    final Shards<PathTable<T>> oneLabel;
    final PathTable<T> anyHost;
    /** Each route's compiled parts by id, for the next snapshot's router to take over or patch. */
    final Shards<Compiled<T>> byId;
    /** False when two routes shared an id (only the first is in {@link #byId}): the next compile is from scratch. */
    final boolean patchable;
    /** Whether this router was patched from the previous one rather than compiled from scratch; tests read it. */
    final boolean patched;

    /** One route as compiled here: its matcher, destination and rank (its place in snapshot order). */
    record Compiled<T>(RouteMatcher matcher, T destination, long rank) {
    }

    /** Host bucket kinds, as {@link #forEachEntry} names them. */
    static final int ANY_HOST = 0;
    static final int EXACT = 1;
    static final int WILDCARD = 2;
    static final int ONE_LABEL = 3;

    /** Receives one entry of a route: the bucket kind, the bucket's key and the path (null: the route has none). */
    interface EntrySink {
        void accept(int kind, String key, String path);
    }

    Router(Shards<PathTable<T>> exact, Shards<PathTable<T>> wildcard, Shards<PathTable<T>> oneLabel,
           PathTable<T> anyHost, Shards<Compiled<T>> byId, boolean patchable, boolean patched) {
        this.exact = exact;
        this.wildcard = wildcard;
        this.oneLabel = oneLabel;
        this.anyHost = anyHost;
        this.byId = byId;
        this.patchable = patchable;
        this.patched = patched;
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
     * destination is offered back to {@code destination} to keep or replace. When few routes
     * changed (see {@link RouterPatch}), the host and path tables are {@code previous}'s with only
     * the changed, added and removed routes' entries replaced, copy on write; otherwise they are
     * built anew. Either way the result matches exactly as a compile from scratch would, and
     * nothing of {@code previous} is changed: it keeps serving lookups meanwhile.
     *
     * @param routes      in snapshot order, the final tie-break
     * @param previous    the router of the snapshot before, or null
     * @param destination what each route resolves to, given the route and its destination in
     *                    {@code previous} when the route is equal there (else null); a route mapped
     *                    to null is left out. Called once per route.
     */
    public static <T> Router<T> compile(List<Route> routes, Router<T> previous, BiFunction<Route, T, T> destination) {
        int n = routes.size();
        RouteMatcher[] matchers = new RouteMatcher[n];
        Object[] destinations = new Object[n];
        for (int i = 0; i < n; i++) {
            Route r = routes.get(i);
            Compiled<T> before = previous == null ? null : previous.byId.get(r.id());
            boolean same = before != null && (before.matcher.route == r || before.matcher.route.equals(r));
            destinations[i] = destination.apply(r, same ? before.destination : null);
            matchers[i] = same ? before.matcher : null;
        }
        if (previous != null && previous.patchable) {
            Router<T> patched = RouterPatch.patch(routes, matchers, destinations, previous);
            if (patched != null) {
                return patched;
            }
        }
        return fromScratch(routes, matchers, destinations);
    }

    /**
     * {@code previous} with only the routes an object delta touched compiled again, without
     * looking at the others: the cost follows the delta, not the routes. The routes not named
     * keep their compiled conditions, destination and rank; {@code routes} must be
     * {@code previous}'s routes with the delta replayed (the routes not put in their old order, as
     * {@code ObjectDiff.apply} leaves them). The result matches as a compile from scratch would.
     *
     * @param put         indexes in {@code routes} of the routes added or replaced, ascending
     * @param removed     ids of the routes gone
     * @param again       ids of routes not put whose destination is to be asked for again (their
     *                    service or upstream changed); they keep their conditions and rank
     * @param destination as for {@link #compile(List, Router, BiFunction)}
     * @return the patched router, or null when it is to be compiled with {@link #compile(List, Router, BiFunction)}
     *         instead (too many changes, or no rank left between two neighbours)
     */
    public static <T> Router<T> patch(List<Route> routes, Router<T> previous, int[] put, Set<String> removed,
                                      Collection<String> again, BiFunction<Route, T, T> destination) {
        return previous.patchable ? RouterPatch.patchTouched(routes, previous, put, removed, again, destination) : null;
    }

    @SuppressWarnings("unchecked")
    private static <T> Router<T> fromScratch(List<Route> routes, RouteMatcher[] matchers, Object[] destinations) {
        Map<String, PathTable<T>> exact = new HashMap<>();
        Map<String, PathTable<T>> wildcard = new HashMap<>();
        Map<String, PathTable<T>> oneLabel = new HashMap<>();
        PathTable<T> anyHost = new PathTable<>();
        Map<String, Compiled<T>> byId = new HashMap<>(routes.size() * 4 / 3 + 1);
        boolean patchable = true;
        for (int order = 0; order < routes.size(); order++) {
            T dest = (T) destinations[order];
            if (dest == null) {
                continue;
            }
            Route r = routes.get(order);
            RouteMatcher matcher = matchers[order] != null ? matchers[order] : new RouteMatcher(r);
            long rank = (order + 1) * RANK_GAP;
            patchable &= byId.putIfAbsent(r.id(), new Compiled<>(matcher, dest, rank)) == null;
            forEachEntry(r, (kind, key, path) -> {
                PathTable<T> table = switch (kind) {
                    case EXACT -> exact.computeIfAbsent(key, k -> new PathTable<>());
                    case WILDCARD -> wildcard.computeIfAbsent(key, k -> new PathTable<>());
                    case ONE_LABEL -> oneLabel.computeIfAbsent(key, k -> new PathTable<>());
                    default -> anyHost;
                };
                table.add(new RouteEntry<>(matcher, dest, rank, path));
            });
        }
        exact.values().forEach(PathTable::seal);
        wildcard.values().forEach(PathTable::seal);
        oneLabel.values().forEach(PathTable::seal);
        anyHost.seal();
        return new Router<>(Shards.of(exact), Shards.of(wildcard), Shards.of(oneLabel), anyHost, Shards.of(byId), patchable, false);
    }

    /**
     * Every entry route {@code r} puts in the tables, in the order a compile adds them (paths
     * outer, hosts inner): the one place that says which host bucket a host goes to.
     */
    static void forEachEntry(Route r, EntrySink sink) {
        List<String> paths = r.paths().isEmpty() ? Collections.singletonList(null) : r.paths();
        for (String path : paths) {
            if (r.hosts().isEmpty()) {
                sink.accept(ANY_HOST, "", path);
            }
            for (String host : r.hosts()) {
                String h = host.toLowerCase(Locale.ROOT);
                if (h.startsWith(Route.ANY_LABELS)) {
                    sink.accept(WILDCARD, h.substring(1), path);
                } else if (h.startsWith(Route.ONE_LABEL)) {
                    sink.accept(ONE_LABEL, h.substring(1), path);
                } else {
                    sink.accept(EXACT, h, path);
                }
            }
        }
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
        return matchName(host == null ? "" : hostName(host), method, path, headers, rawQuery);
    }

    /**
     * As {@link #match(String, String, String, HttpHeaders, String)}, for a host already in the
     * router's form ({@link RequestHost#routingName()}: lower case, no port, no trailing dot), so a
     * request's Host is read once for everything that needs it.
     *
     * @param h the host name in the router's form; empty for none
     */
    public RouteMatch<T> matchName(String h, String method, String path, HttpHeaders headers, String rawQuery) {
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
        return RequestHost.routingName(h);
    }
}
