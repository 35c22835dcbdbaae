package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

/** Balancers as a proxy builds them: planned aside, then committed, one snapshot (here: one upstream) at a time. */
final class Plans {
    private Plans() {
    }

    /** The balancer of {@code u} in a snapshot of its own, committed to {@code balancers}. */
    static Balancer committed(Balancers balancers, Upstream u) {
        BalancerPlan plan = balancers.plan();
        Balancer b = plan.balancer(u);
        balancers.commit(plan);
        return b;
    }

    /** The balancer of {@code u} on fresh state. */
    static Balancer fresh(Upstream u) {
        return committed(new Balancers(), u);
    }
}
