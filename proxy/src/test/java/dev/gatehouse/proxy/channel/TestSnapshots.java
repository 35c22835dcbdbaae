package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

final class TestSnapshots {
    static final Source UPSTREAM = new Source("Upstream", "shop", "cart", "u-cart", 4);

    private TestSnapshots() {
    }

    /** Version {@code v} with content unique to {@code v}. */
    static Snapshot v(long version) {
        Source svc = new Source("GatewayService", "shop", "cart", "s-cart", 2);
        Source route = new Source("GatewayRoute", "shop", "cart", "r-cart", 7);
        return new Snapshot(version,
                List.of(new Service("shop/cart", svc, "shop/cart", Service.Protocol.HTTP, "/", null, 2,
                        Service.Timeouts.DEFAULT)),
                List.of(new Route("shop/cart", route, "shop/cart", List.of(), List.of("/cart"), List.of(), null,
                        false, false, 0, null)),
                List.of(new Upstream("shop/cart", UPSTREAM, Upstream.Algorithm.ROUND_ROBIN, null, null,
                        List.of(new Upstream.Target("10.0.0.1", 8000 + (int) version, 100)), null, 0)),
                List.of());
    }

    /** An in-memory sink; {@code judge} decides the problems. */
    static final class Sink implements SnapshotSink {
        final List<Long> offered = new ArrayList<>();
        /** The content hashes handed with whole snapshots, in order. */
        final List<String> hashes = new ArrayList<>();
        Snapshot current;
        Function<Snapshot, List<Problem>> judge = s -> List.of();

        Sink(Snapshot current) {
            this.current = current;
        }

        @Override
        public List<Problem> apply(Snapshot snapshot) {
            offered.add(snapshot.version());
            List<Problem> problems = judge.apply(snapshot);
            if (problems.isEmpty()) {
                current = snapshot;
            }
            return problems;
        }

        @Override
        public List<Problem> apply(Snapshot snapshot, String contentHash) {
            hashes.add(contentHash);
            return apply(snapshot);
        }

        @Override
        public Snapshot current() {
            return current;
        }
    }
}
