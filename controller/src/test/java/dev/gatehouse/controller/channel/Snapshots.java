package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;

import java.util.List;

/** Small valid snapshots whose content (and so hash) follows {@code port}. */
final class Snapshots {
    static final Source UPSTREAM = new Source("Upstream", "shop", "cart", "u-cart", 4);
    static final Source SERVICE = new Source("GatewayService", "shop", "cart", "s-cart", 2);
    static final Source ROUTE = new Source("GatewayRoute", "shop", "cart", "r-cart", 7);

    private Snapshots() {
    }

    static Snapshot of(long version, int port) {
        return new Snapshot(version,
                List.of(new Service("shop/cart", SERVICE, "shop/cart", Service.Protocol.HTTP, "/", null, 2,
                        Service.Timeouts.DEFAULT)),
                List.of(new Route("shop/cart", ROUTE, "shop/cart", List.of(), List.of("/cart"), List.of(), null,
                        false, false, 0, null)),
                List.of(new Upstream("shop/cart", UPSTREAM, Upstream.Algorithm.ROUND_ROBIN, null, null,
                        List.of(new Upstream.Target("10.0.0.1", port, 100)), null, 0)),
                List.of());
    }

    /** Version {@code v} with content unique to {@code v}. */
    static Snapshot v(long version) {
        return of(version, 8000 + (int) version);
    }
}
