package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Algorithm details that need no sockets: tie-breaking, slow start, ejection limits, swaps. */
class BalancerTest {
    private static Upstream upstream(Upstream.Algorithm algorithm, Upstream.HealthChecks checks, long slowStart, int... weights) {
        List<Upstream.Target> targets = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            targets.add(new Upstream.Target("127.0.0.1", 9000 + i, weights[i]));
        }
        return new Upstream("default/u", null, algorithm, null, null, targets, checks, slowStart);
    }

    private static String picks(Balancer b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + b.pick(new BitSet())));
        }
        return sb.toString();
    }

    private static Balancer rr(int... weights) {
        return Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, weights));
    }

    @Test
    void smoothWeightedOrderIsNginxs() {
        assertThat(picks(rr(5, 1, 1), 14)).isEqualTo("aabacaa" + "aabacaa");
        assertThat(picks(rr(100, 100), 6)).isEqualTo("ababab");
    }

    @Test
    void weightZeroIsNeverPickedByAnyAlgorithm() {
        for (Upstream.Algorithm a : Upstream.Algorithm.values()) {
            Balancer b = Plans.fresh(upstream(a, null, 0, 0, 100, 0));
            assertThat(picks(b, 4)).as(a.name()).isEqualTo("bbbb");
            assertThat(Plans.fresh(upstream(a, null, 0, 0, 0)).pick(new BitSet())).as(a.name()).isEqualTo(-1);
            assertThat(Plans.fresh(upstream(a, null, 0)).pick(new BitSet())).as(a.name()).isEqualTo(-1);
        }
    }

    @Test
    void triedTargetsAreSkippedUntilNoneIsLeft() {
        for (Upstream.Algorithm a : Upstream.Algorithm.values()) {
            Balancer b = Plans.fresh(upstream(a, null, 0, 100, 100, 100));
            BitSet tried = new BitSet();
            for (int i = 0; i < 3; i++) {
                int pick = b.pick(tried);
                assertThat(pick).as(a.name()).isGreaterThanOrEqualTo(0);
                assertThat(tried.get(pick)).as(a.name()).isFalse();
                tried.set(pick);
            }
            assertThat(b.pick(tried)).as(a.name()).isEqualTo(-1);
        }
    }

    @Test
    void leastConnectionsBreaksTiesRoundRobinNotByListOrder() {
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, 0, 100, 100, 100));
        assertThat(picks(b, 6)).isEqualTo("abcabc");
        b.state(0).begin();
        b.state(1).begin();
        assertThat(picks(b, 3)).isEqualTo("ccc");
    }

    @Test
    void leastConnectionsWeighsInFlightByWeight() {
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, 0, 100, 300));
        b.state(1).begin();
        b.state(1).begin();
        assertThat(b.pick(new BitSet())).as("3/300 < 1/100 ... equal: (2+1)/300 = 0.01 = (0+1)/100, tie").isIn(0, 1);
        b.state(1).begin();
        assertThat(b.pick(new BitSet())).isEqualTo(0);
    }

    @Test
    void roundRobinPositionSurvivesASwap() {
        Balancers balancers = new Balancers();
        Upstream u = upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 100, 100);
        Balancer first = Plans.committed(balancers, u);
        assertThat(picks(first, 3)).isEqualTo("aba");
        Balancer second = Plans.committed(balancers, u);
        assertThat(picks(second, 3)).isEqualTo("bab");
        assertThat(second.state(0)).isSameAs(first.state(0));
    }

    @Test
    void aTargetThatLeavesIsForgottenAndOneThatComesBackStartsAfresh() {
        Balancers balancers = new Balancers();
        Upstream two = upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 100, 100);
        Balancer first = Plans.committed(balancers, two);
        first.state(1).failed();
        Upstream one = new Upstream("default/u", null, Upstream.Algorithm.ROUND_ROBIN, null, null,
                two.targets().subList(0, 1), null, 0);
        Plans.committed(balancers, one);
        assertThat(balancers.upstreams().get("default/u").targets()).hasSize(1);
        Balancer again = Plans.committed(balancers, two);
        assertThat(again.state(1)).isNotSameAs(first.state(1));
        assertThat(again.state(1).failures()).isZero();
    }

    @Test
    void aPlanThatIsNeverCommittedChangesNothingLive() {
        Balancers balancers = new Balancers();
        Balancer live = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 100, 100));
        live.state(0).failed();
        String before = balancers.describe().toString();

        BalancerPlan refused = balancers.plan();
        Balancer aside = refused.balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 0, 300, 100));
        refused.balancer(new Upstream("default/other", null, Upstream.Algorithm.ROUND_ROBIN, null, null,
                List.of(new Upstream.Target("127.0.0.1", 8000, 100)), null, 0));
        assertThat(aside.state(1)).as("a target that stays shares its state").isSameAs(live.state(1));

        assertThat(balancers.describe().toString()).isEqualTo(before);
        assertThat(balancers.upstreams()).containsOnlyKeys("default/u");
        assertThat(live.state(0).weight()).isEqualTo(100);
        assertThat(picks(live, 4)).as("the live balancer keeps its weights").isEqualTo("abab");
        assertThat(balancers.poolKeys()).containsExactlyInAnyOrder("127.0.0.1:9000", "127.0.0.1:9001");
    }

    @Test
    void aCommittedPlanCarriesStateOverAndAStalePlanIsRefused() {
        Balancers balancers = new Balancers();
        Balancer live = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 100, 100));
        live.state(1).failed();
        BalancerPlan stale = balancers.plan();
        stale.balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 100));

        BalancerPlan next = balancers.plan();
        Balancer committed = next.balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 0, 300, 100));
        balancers.commit(next);
        UpstreamState u = balancers.upstreams().get("default/u");
        assertThat(u.targets()).extracting(TargetState::key)
                .containsExactly("127.0.0.1:9000", "127.0.0.1:9001", "127.0.0.1:9002");
        assertThat(u.find("127.0.0.1:9001")).isSameAs(live.state(1));
        assertThat(u.find("127.0.0.1:9001").failures()).isEqualTo(1);
        assertThat(u.find("127.0.0.1:9001").weight()).isEqualTo(300);
        assertThat(u.find("127.0.0.1:9000").weight()).isZero();
        assertThat(committed.state(2).peer()).isNotNull();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> balancers.commit(stale))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("one snapshot at a time");
        assertThat(balancers.upstreams().get("default/u").targets()).hasSize(3);
    }

    @Test
    void slowStartRampsANewTargetFromTenPercent() {
        Balancers balancers = new Balancers();
        Upstream one = upstream(Upstream.Algorithm.ROUND_ROBIN, null, 10_000, 100);
        Plans.committed(balancers, one);
        Balancer two = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, null, 10_000, 100, 100));
        long now = System.nanoTime();
        assertThat(two.state(0).effectiveWeight(100, now, 10_000_000_000L)).as("there before").isEqualTo(100);
        assertThat(two.state(1).effectiveWeight(100, now, 10_000_000_000L)).as("new").isBetween(10.0, 11.0);
        assertThat(two.state(1).effectiveWeight(100, now + 5_000_000_000L, 10_000_000_000L)).isBetween(49.0, 51.0);
        assertThat(two.state(1).effectiveWeight(100, now + 11_000_000_000L, 10_000_000_000L)).isEqualTo(100);
        int toNew = 0;
        for (int i = 0; i < 1100; i++) {
            if (two.pick(new BitSet()) == 1) {
                toNew++;
            }
        }
        assertThat(toNew).as("the new target's share at ~10% weight").isBetween(80, 130);
    }

    @Test
    void passiveEjectionNeverEjectsMoreThanTheMaximumShare() {
        Upstream.HealthChecks checks = new Upstream.HealthChecks(null, new Upstream.Passive(2, 10_000, 50));
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 0, 100, 100, 100, 100));
        for (int i = 0; i < 4; i++) {
            b.state(i).failed();
            b.state(i).failed();
        }
        long now = System.nanoTime();
        int ejected = 0;
        for (int i = 0; i < 4; i++) {
            ejected += b.state(i).ejected(now) ? 1 : 0;
        }
        assertThat(ejected).isEqualTo(2);
        for (int i = 0; i < 20; i++) {
            int p = b.pick(new BitSet());
            assertThat(b.state(p).ejected(now)).isFalse();
        }
    }

    @Test
    void aRepeatedEjectionLastsLonger() {
        Upstream.HealthChecks checks = new Upstream.HealthChecks(null, new Upstream.Passive(1, 1_000, 100));
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 0, 100, 100));
        long t0 = System.nanoTime();
        b.state(0).failed();
        long first = b.state(0).ejectedUntilNanos() - t0;
        assertThat(first).isBetween(900_000_000L, 1_100_000_000L);
    }

    @Test
    void stickyCookieAttributesComeFromTheUpstream() {
        assertThat(Balancer.cookieAttributes(null)).isEqualTo("; Path=/; HttpOnly; SameSite=Lax");
        assertThat(Balancer.cookieAttributes(new Upstream.StickyCookie(3_600_000, "/app", "Strict", true)))
                .isEqualTo("; Path=/app; Max-Age=3600; HttpOnly; SameSite=Strict; Secure");
    }

    @Test
    void whenEveryTargetIsUnhealthyItFailsOpen() {
        Upstream.Active active = new Upstream.Active("/h", 1000, 100, 1, 1, List.of());
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.LEAST_LATENCY,
                new Upstream.HealthChecks(active, null), 0, 100, 100));
        b.state(0).probed(false, active);
        assertThat(b.pick(new BitSet())).isEqualTo(1);
        b.state(1).probed(false, active);
        assertThat(b.pick(new BitSet())).isIn(0, 1);
        b.state(0).probed(true, active);
        assertThat(b.pick(new BitSet())).isEqualTo(0);
    }
}
