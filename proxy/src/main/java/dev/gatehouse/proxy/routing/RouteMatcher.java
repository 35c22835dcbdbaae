package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What matching needs of one route, compiled once: its method, header and query conditions and
 * the pattern of each regex path. Every {@link RouteEntry} of the route (one per path and host)
 * shares it, and the next snapshot's {@link Router} takes it over while the route stays equal,
 * so an edit of one route among thousands compiles one route's regexes, not all of them.
 * Immutable.
 */
final class RouteMatcher {
    final Route route;
    final Set<String> methods;
    /** Header name to accepted values, lower case. */
    final Map<String, Set<String>> headers;
    final QueryCondition[] query;
    /** Each regex path (with its {@code ~} mark) to its pattern. */
    private final Map<String, Pattern> regexes;

    RouteMatcher(Route route) {
        this.route = route;
        this.methods = Set.copyOf(route.methods());
        this.headers = route.headers().entrySet().stream().collect(Collectors.toUnmodifiableMap(
                e -> e.getKey().toLowerCase(Locale.ROOT),
                e -> Set.copyOf(e.getValue().stream().map(v -> v.toLowerCase(Locale.ROOT)).toList())));
        this.query = route.queryParams().stream().map(QueryCondition::new).toArray(QueryCondition[]::new);
        Map<String, Pattern> patterns = new HashMap<>();
        for (String path : route.paths()) {
            if (path.startsWith(Route.REGEX)) {
                patterns.putIfAbsent(path, Pattern.compile(path.substring(1)));
            }
        }
        this.regexes = Map.copyOf(patterns);
    }

    /** The pattern of regex path {@code path} (with its {@code ~} mark). */
    Pattern regex(String path) {
        return regexes.get(path);
    }
}
