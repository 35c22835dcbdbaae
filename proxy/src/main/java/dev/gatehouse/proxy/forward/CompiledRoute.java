package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.balance.TargetSelector;

/**
 * What a matched route resolves to, all resolved when the snapshot is compiled.
 *
 * @param keyAuth null when key-auth is off for the route
 */
public record CompiledRoute(Route route, Service service, TargetSelector targets, KeyAuth keyAuth) {
}
