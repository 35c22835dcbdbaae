package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.balance.TargetSelector;
import dev.gatehouse.proxy.observe.RouteMeters;

/**
 * What a matched route resolves to, all resolved when the snapshot is compiled.
 *
 * @param keyAuth null when key-auth is off for the route
 * @param meters  the route's meters, resolved with the snapshot
 */
public record CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth, RouteMeters meters) {
    /** A route whose requests are counted nowhere. */
    public CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth) {
        this(route, service, targets, keyAuth, RouteMeters.DETACHED);
    }
}
