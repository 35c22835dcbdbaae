package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import dev.gatehouse.proxy.routing.Router.Compiled;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A {@link Router} made from the previous one by replacing the entries of the routes that changed,
 * instead of building every host and path table again: an object delta that edits one route of
 * 10 000 touches the buckets of that route's hosts, not 10 000 routes' entries.
 *
 * <p>A route is <em>kept</em> when its matcher (so its route) and its destination are the very
 * ones of the previous router; every other route of the new list is <em>added</em> and every
 * route of the previous router not kept is <em>removed</em> (an edit is both). Kept routes keep
 * their rank; added ones get ranks spread over the gap between their kept neighbours, so ranks
 * order the routes exactly as their indexes do and every bucket sorts as a compile from scratch
 * would sort it. The tables touched are copied (copy on write, see {@link PathTable#patched}); the
 * previous router is never changed and keeps serving lookups on the event loops meanwhile.
 *
 * <p>It gives up, and the caller compiles from scratch, when:
 * <ul>
 *   <li>more than {@value #MAX_CHANGED_SHARE_PERCENT}% of the routes are added or removed: the
 *       patch copies every table it touches and the shards of the host maps, so with that many changes it
 *       does about a compile's work plus the diff's, and a fresh compile also spaces ranks out again;</li>
 *   <li>kept routes changed their relative order (a translator may reorder; ranks cannot follow);</li>
 *   <li>no rank is left between two kept neighbours for the routes inserted there;</li>
 *   <li>two routes share an id (validation refuses that; the router stays correct by compiling).</li>
 * </ul>
 */
final class RouterPatch {
    /** Beyond this share of the routes added plus removed, compiling from scratch is as cheap and simpler. */
    static final int MAX_CHANGED_SHARE_PERCENT = 25;

    private RouterPatch() {
    }

    /**
     * @param matchers     per route, the previous router's matcher when the route is equal there, else
     *                     null; matchers created here are written back, for the compile from scratch
     * @param destinations per route, its destination (null: left out)
     * @return the patched router, or null when it is to be compiled from scratch
     */
    @SuppressWarnings("unchecked")
    static <T> Router<T> patch(List<Route> routes, RouteMatcher[] matchers, Object[] destinations, Router<T> previous) {
        int n = routes.size();
        long[] ranks = new long[n];
        boolean[] kept = new boolean[n];
        int keptCount = 0;
        int added = 0;
        long lastKept = 0;
        for (int i = 0; i < n; i++) {
            if (destinations[i] == null) {
                continue;
            }
            Compiled<T> before = previous.byId.get(routes.get(i).id());
            if (before != null && before.matcher() == matchers[i] && before.destination() == destinations[i]) {
                if (before.rank() <= lastKept) {
                    return null; // kept routes reordered, or one id twice
                }
                kept[i] = true;
                ranks[i] = before.rank();
                lastKept = before.rank();
                keptCount++;
            } else {
                added++;
            }
        }
        int removed = previous.byId.size() - keptCount;
        if ((long) (added + removed) * 100 > (long) Math.max(n, previous.byId.size()) * MAX_CHANGED_SHARE_PERCENT) {
            return null;
        }
        if (!spreadRanks(kept, destinations, ranks)) {
            return null;
        }
        Shards.Editor<Compiled<T>> byId = Shards.<Compiled<T>>empty().edit();
        Map<Bucket, List<RouteEntry<T>>> adds = new HashMap<>();
        for (int i = 0; i < n; i++) {
            T dest = (T) destinations[i];
            if (dest == null) {
                continue;
            }
            Route r = routes.get(i);
            Compiled<T> c;
            if (kept[i]) {
                c = previous.byId.get(r.id());
            } else {
                if (matchers[i] == null) {
                    matchers[i] = new RouteMatcher(r);
                }
                c = new Compiled<>(matchers[i], dest, ranks[i]);
                entries(c, adds);
            }
            if (byId.put(r.id(), c) != null) {
                return null;
            }
        }
        Map<Bucket, List<RouteEntry<T>>> removals = new HashMap<>();
        previous.byId.forEachValue(c -> {
            if (byId.get(c.matcher().route.id()) != c) {
                entries(c, removals);
            }
        });
        return patchTables(previous, byId, removals, adds);
    }

    /**
     * As {@link Router#patch}: the put routes get ranks between their nearest neighbours not put
     * (whose ranks are their previous ones), the {@code again} routes keep theirs.
     */
    @SuppressWarnings("unchecked")
    static <T> Router<T> patchTouched(List<Route> routes, Router<T> previous, int[] put, Set<String> removed,
                                      Collection<String> again, BiFunction<Route, T, T> destination) {
        int n = routes.size();
        if ((long) (put.length + removed.size() + again.size()) * 100 > (long) Math.max(n, 1) * MAX_CHANGED_SHARE_PERCENT) {
            return null;
        }
        Set<String> putIds = new HashSet<>(put.length * 2);
        for (int i : put) {
            putIds.add(routes.get(i).id());
        }
        Shards.Editor<Compiled<T>> byId = previous.byId.edit();
        Map<Bucket, List<RouteEntry<T>>> adds = new HashMap<>();
        Map<Bucket, List<RouteEntry<T>>> removals = new HashMap<>();
        for (String id : removed) {
            Compiled<T> gone = byId.remove(id);
            if (gone != null) {
                entries(gone, removals);
            }
        }
        for (String id : again) {
            Compiled<T> before = byId.get(id);
            if (before == null || putIds.contains(id) || removed.contains(id)) {
                continue; // put: compiled below; not served before: a route put, or one the delta removed
            }
            T dest = destination.apply(before.matcher().route, before.destination());
            if (dest == before.destination()) {
                continue;
            }
            entries(before, removals);
            if (dest == null) {
                byId.remove(id);
                continue;
            }
            Compiled<T> c = new Compiled<>(before.matcher(), dest, before.rank());
            byId.put(id, c);
            entries(c, adds);
        }
        int i = 0;
        while (i < put.length) {
            int end = i; // a run of put routes next to each other shares the gap between its neighbours
            while (end + 1 < put.length && put[end + 1] == put[end] + 1) {
                end++;
            }
            long low = neighbourRank(routes, previous, putIds, put[i] - 1, -1);
            long high = neighbourRank(routes, previous, putIds, put[end] + 1, 1);
            int count = end - i + 1;
            if (high == Long.MAX_VALUE) {
                high = low + (count + 1) * Router.RANK_GAP;
            }
            long step = (high - low) / (count + 1);
            if (low < 0 || step <= 0) {
                return null; // neighbours out of order, or no rank left between them
            }
            long rank = low;
            for (int j = i; j <= end; j++) {
                Route r = routes.get(put[j]);
                Compiled<T> before = previous.byId.get(r.id());
                boolean same = before != null && (before.matcher().route == r || before.matcher().route.equals(r));
                if (before != null && byId.get(r.id()) == before) {
                    entries(before, removals); // replaced, or moved: its entries go, the put's come
                }
                T dest = destination.apply(r, same ? before.destination() : null);
                rank += step;
                if (dest == null) {
                    byId.remove(r.id());
                    continue;
                }
                Compiled<T> c = new Compiled<>(same ? before.matcher() : new RouteMatcher(r), dest, rank);
                if (byId.put(r.id(), c) != before) {
                    return null; // one id twice
                }
                entries(c, adds);
            }
            i = end + 1;
        }
        return patchTables(previous, byId, removals, adds);
    }

    /**
     * The rank of the nearest route from index {@code from} on, stepping by {@code step}, that is
     * not put: its rank in {@code previous}; 0 below the first route, {@link Long#MAX_VALUE} after
     * the last; -1 when {@code previous} does not have that very route (it was left out, or the
     * list is not {@code previous}'s with a delta replayed).
     */
    private static <T> long neighbourRank(List<Route> routes, Router<T> previous, Set<String> putIds, int from, int step) {
        for (int j = from; j >= 0 && j < routes.size(); j += step) {
            Route r = routes.get(j);
            if (putIds.contains(r.id())) {
                continue;
            }
            Compiled<T> c = previous.byId.get(r.id());
            return c != null && c.matcher().route == r ? c.rank() : -1; // else left out before: no rank to go by
        }
        return step < 0 ? 0 : Long.MAX_VALUE;
    }

    /**
     * Ranks for the routes not kept: each run of them between two kept routes (or an end) shares
     * the gap evenly. False when a gap has fewer free ranks than routes to put there.
     */
    private static boolean spreadRanks(boolean[] kept, Object[] destinations, long[] ranks) {
        int n = kept.length;
        long low = 0;
        int i = 0;
        while (i < n) {
            if (kept[i]) {
                low = ranks[i];
                i++;
                continue;
            }
            int end = i;
            int count = 0;
            while (end < n && !kept[end]) {
                if (destinations[end] != null) {
                    count++;
                }
                end++;
            }
            long high = end < n ? ranks[end] : low + (count + 1) * Router.RANK_GAP;
            long step = (high - low) / (count + 1);
            if (count > 0 && step == 0) {
                return false;
            }
            long rank = low;
            for (int j = i; j < end; j++) {
                if (destinations[j] != null) {
                    rank += step;
                    ranks[j] = rank;
                }
            }
            i = end;
        }
        return true;
    }

    /** Which host table an entry lives in. */
    private record Bucket(int kind, String key) {
    }

    private static <T> void entries(Compiled<T> c, Map<Bucket, List<RouteEntry<T>>> into) {
        Router.forEachEntry(c.matcher().route, (kind, key, path) -> into
                .computeIfAbsent(new Bucket(kind, key), b -> new ArrayList<>())
                .add(new RouteEntry<>(c.matcher(), c.destination(), c.rank(), path)));
    }

    private static <T> Router<T> patchTables(Router<T> previous, Shards.Editor<Compiled<T>> byId,
                                             Map<Bucket, List<RouteEntry<T>>> removals,
                                             Map<Bucket, List<RouteEntry<T>>> adds) {
        Set<Bucket> touched = new HashSet<>(removals.keySet());
        touched.addAll(adds.keySet());
        Shards.Editor<PathTable<T>> exact = null;
        Shards.Editor<PathTable<T>> wildcard = null;
        Shards.Editor<PathTable<T>> oneLabel = null;
        PathTable<T> anyHost = previous.anyHost;
        for (Bucket b : touched) {
            List<RouteEntry<T>> gone = removals.getOrDefault(b, List.of());
            List<RouteEntry<T>> added = adds.getOrDefault(b, List.of());
            if (b.kind() == Router.ANY_HOST) {
                PathTable<T> t = PathTable.patched(anyHost, gone, added);
                anyHost = t == null ? new PathTable<T>().seal() : t;
                continue;
            }
            Shards.Editor<PathTable<T>> hosts;
            if (b.kind() == Router.EXACT) {
                hosts = exact = exact == null ? previous.exact.edit() : exact;
            } else if (b.kind() == Router.WILDCARD) {
                hosts = wildcard = wildcard == null ? previous.wildcard.edit() : wildcard;
            } else {
                hosts = oneLabel = oneLabel == null ? previous.oneLabel.edit() : oneLabel;
            }
            PathTable<T> t = PathTable.patched(hosts.get(b.key()), gone, added);
            if (t == null) {
                hosts.remove(b.key());
            } else {
                hosts.put(b.key(), t);
            }
        }
        return new Router<>(exact == null ? previous.exact : exact.build(),
                wildcard == null ? previous.wildcard : wildcard.build(),
                oneLabel == null ? previous.oneLabel : oneLabel.build(), anyHost, byId.build(), true, true);
    }
}
