package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.balance.TargetSelector;
import dev.gatehouse.proxy.observe.RouteMeters;
import dev.gatehouse.proxy.routing.CompiledFilters;

/**
 * What a matched route resolves to, all resolved when the snapshot is compiled.
 *
 * @param keyAuth     null when key-auth is off for the route
 * @param meters      the route's meters, resolved with the snapshot
 * @param retryBudget its service's retry budget, shared by every route of the service; null when
 *                    the service is unresolved; when not given, one of its own
 * @param filters     the route's filters and direct answer, compiled; null when it has none
 */
public record CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth, RouteMeters meters,
                            RetryBudget retryBudget, CompiledFilters filters) {
    public CompiledRoute {
        if (retryBudget == null && service != null) {
            retryBudget = RetryBudget.detached(service);
        }
    }

    /** A route whose filters are compiled from {@code route}. */
    public CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth, RouteMeters meters,
                         RetryBudget retryBudget) {
        this(route, service, targets, keyAuth, meters, retryBudget, CompiledFilters.of(route));
    }

    /** A route with a retry budget of its own. */
    public CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth, RouteMeters meters) {
        this(route, service, targets, keyAuth, meters, null);
    }

    /** A route whose requests are counted nowhere. */
    public CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth) {
        this(route, service, targets, keyAuth, RouteMeters.DETACHED);
    }
}
