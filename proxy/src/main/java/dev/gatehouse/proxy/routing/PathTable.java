package dev.gatehouse.proxy.routing;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The routes of one host bucket, by path: exact paths first (one hash lookup of the whole path),
 * then regexes (in {@link RouteEntry#ORDER}), then prefixes longest first on segment boundaries
 * (one hash lookup per distinct prefix length, no scan over all routes), then routes without
 * paths. An exact match is never shorter than a prefix match of the same path, so "exact
 * first" is also Ingress's "longest path wins, Exact before Prefix on a tie".
 */
final class PathTable<T> {
    private final Map<String, List<RouteEntry<T>>> exacts = new HashMap<>();
    private final List<RouteEntry<T>> regexes = new ArrayList<>();
    private final Map<String, List<RouteEntry<T>>> prefixes = new HashMap<>();
    private final List<RouteEntry<T>> anyPath = new ArrayList<>();
    private int[] lengths = new int[0];

    void add(RouteEntry<T> e) {
        if (e.exact != null) {
            exacts.computeIfAbsent(e.exact, p -> new ArrayList<>()).add(e);
        } else if (e.regex != null) {
            regexes.add(e);
        } else if (e.prefix != null) {
            prefixes.computeIfAbsent(e.prefix, p -> new ArrayList<>()).add(e);
        } else {
            anyPath.add(e);
        }
    }

    PathTable<T> seal() {
        regexes.sort(RouteEntry.ORDER);
        anyPath.sort(RouteEntry.ORDER);
        prefixes.values().forEach(l -> l.sort(RouteEntry.ORDER));
        exacts.values().forEach(l -> l.sort(RouteEntry.ORDER));
        lengths = prefixLengths(prefixes);
        return this;
    }

    /**
     * A new table: {@code old}'s entries (none when null) without those of the routes of
     * {@code removed} (matched by path and rank) and with {@code added}, sorted as {@link #seal}
     * sorts. Copy on write: {@code old} and every list it holds stay as they are (an event loop
     * may be reading them), lists no change touches are shared. Entries of equal order are one
     * route's, added in compile order, so the stable sort leaves them as a compile would.
     *
     * @return the table, or null when it holds no entry
     */
    static <T> PathTable<T> patched(PathTable<T> old, List<RouteEntry<T>> removed, List<RouteEntry<T>> added) {
        PathTable<T> t = new PathTable<>();
        if (old != null) {
            t.exacts.putAll(old.exacts);
            t.prefixes.putAll(old.prefixes);
            t.regexes.addAll(old.regexes);
            t.anyPath.addAll(old.anyPath);
            t.lengths = old.lengths;
        }
        java.util.Set<String> ownedExacts = new java.util.HashSet<>();
        java.util.Set<String> ownedPrefixes = new java.util.HashSet<>();
        for (RouteEntry<T> gone : removed) {
            t.listFor(gone, ownedExacts, ownedPrefixes).removeIf(e -> e.order == gone.order);
        }
        for (RouteEntry<T> e : added) {
            t.listFor(e, ownedExacts, ownedPrefixes).add(e);
        }
        for (String key : ownedExacts) {
            List<RouteEntry<T>> l = t.exacts.get(key);
            if (l.isEmpty()) {
                t.exacts.remove(key);
            } else {
                l.sort(RouteEntry.ORDER);
            }
        }
        for (String key : ownedPrefixes) {
            List<RouteEntry<T>> l = t.prefixes.get(key);
            if (l.isEmpty()) {
                t.prefixes.remove(key);
            } else {
                l.sort(RouteEntry.ORDER);
            }
        }
        t.regexes.sort(RouteEntry.ORDER);
        t.anyPath.sort(RouteEntry.ORDER);
        if (!ownedPrefixes.isEmpty()) {
            t.lengths = prefixLengths(t.prefixes);
        }
        boolean empty = t.exacts.isEmpty() && t.regexes.isEmpty() && t.prefixes.isEmpty() && t.anyPath.isEmpty();
        return empty ? null : t;
    }

    /** The list {@code e} belongs in, this table's own copy (copied from the shared one on first use). */
    private List<RouteEntry<T>> listFor(RouteEntry<T> e, java.util.Set<String> ownedExacts, java.util.Set<String> ownedPrefixes) {
        if (e.exact != null) {
            return own(exacts, e.exact, ownedExacts);
        } else if (e.regex != null) {
            return regexes;
        } else if (e.prefix != null) {
            return own(prefixes, e.prefix, ownedPrefixes);
        }
        return anyPath;
    }

    private static <T> List<RouteEntry<T>> own(Map<String, List<RouteEntry<T>>> map, String key, java.util.Set<String> owned) {
        if (owned.add(key)) {
            List<RouteEntry<T>> shared = map.get(key);
            List<RouteEntry<T>> copy = shared == null ? new ArrayList<>() : new ArrayList<>(shared);
            map.put(key, copy);
            return copy;
        }
        return map.get(key);
    }

    private static int[] prefixLengths(Map<String, ?> prefixes) {
        TreeSet<Integer> distinct = new TreeSet<>(java.util.Comparator.reverseOrder());
        prefixes.keySet().forEach(p -> distinct.add(p.length()));
        return distinct.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Whether a prefix of {@code length} characters ends on a segment boundary of {@code path}:
     * at its end, before a {@code /} or a {@code ;} (path parameters, which servlet containers
     * strip), or after a {@code /} (a prefix that ends with one). {@code /profile} matches
     * {@code /profile}, {@code /profile/x} and {@code /profile;v=1}, never {@code /profilex}.
     */
    static boolean segmentBoundary(String path, int length) {
        if (length == path.length() || path.charAt(length - 1) == '/') {
            return true;
        }
        char next = path.charAt(length);
        return next == '/' || next == ';';
    }

    RouteMatch<T> match(String method, String path, HttpHeaders headers, String rawQuery) {
        if (!exacts.isEmpty()) {
            List<RouteEntry<T>> candidates = exacts.get(path);
            if (candidates != null) {
                for (int i = 0; i < candidates.size(); i++) {
                    RouteEntry<T> e = candidates.get(i);
                    if (e.conditionsMatch(method, headers, rawQuery)) {
                        return new RouteMatch<>(e.route, e.destination, path, path.length());
                    }
                }
            }
        }
        for (int i = 0; i < regexes.size(); i++) {
            RouteEntry<T> e = regexes.get(i);
            int end = e.regexMatch(path);
            if (end >= 0 && e.conditionsMatch(method, headers, rawQuery)) {
                return new RouteMatch<>(e.route, e.destination, path, end);
            }
        }
        for (int length : lengths) {
            if (length > path.length() || !segmentBoundary(path, length)) {
                continue;
            }
            List<RouteEntry<T>> candidates = prefixes.get(path.substring(0, length));
            if (candidates == null) {
                continue;
            }
            for (int i = 0; i < candidates.size(); i++) {
                RouteEntry<T> e = candidates.get(i);
                if (e.conditionsMatch(method, headers, rawQuery)) {
                    return new RouteMatch<>(e.route, e.destination, path, length);
                }
            }
        }
        for (int i = 0; i < anyPath.size(); i++) {
            RouteEntry<T> e = anyPath.get(i);
            if (e.conditionsMatch(method, headers, rawQuery)) {
                return new RouteMatch<>(e.route, e.destination, path, 0);
            }
        }
        return null;
    }
}
