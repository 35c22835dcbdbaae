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
        return new Balancers().balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, weights));
    }

    @Test
    void smoothWeightedOrderIsNginxs() {
        assertThat(picks(rr(5, 1, 1), 14)).isEqualTo("aabacaa" + "aabacaa");
        assertThat(picks(rr(100, 100), 6)).isEqualTo("ababab");
    }

    @Test
    void weightZeroIsNeverPickedByAnyAlgorithm() {
        for (Upstream.Algorithm a : Upstream.Algorithm.values()) {
            Balancer b = new Balancers().balancer(upstream(a, null, 0, 0, 100, 0));
            assertThat(picks(b, 4)).as(a.name()).isEqualTo("bbbb");
            assertThat(new Balancers().balancer(upstream(a, null, 0, 0, 0)).pick(new BitSet())).as(a.name()).isEqualTo(-1);
            assertThat(new Balancers().balancer(upstream(a, null, 0)).pick(new BitSet())).as(a.name()).isEqualTo(-1);
        }
    }

    @Test
    void triedTargetsAreSkippedUntilNoneIsLeft() {
        for (Upstream.Algorithm a : Upstream.Algorithm.values()) {
            Balancer b = new Balancers().balancer(upstream(a, null, 0, 100, 100, 100));
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
        Balancer b = new Balancers().balancer(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, 0, 100, 100, 100));
        assertThat(picks(b, 6)).isEqualTo("abcabc");
        b.state(0).begin();
        b.state(1).begin();
        assertThat(picks(b, 3)).isEqualTo("ccc");
    }

    @Test
    void leastConnectionsWeighsInFlightByWeight() {
        Balancer b = new Balancers().balancer(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, 0, 100, 300));
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
        Balancer first = balancers.balancer(u);
        assertThat(picks(first, 3)).isEqualTo("aba");
        Balancer second = balancers.balancer(u);
        assertThat(picks(second, 3)).isEqualTo("bab");
        assertThat(second.state(0)).isSameAs(first.state(0));
    }

    @Test
    void aTargetThatLeavesIsForgottenAndOneThatComesBackStartsAfresh() {
        Balancers balancers = new Balancers();
        Upstream two = upstream(Upstream.Algorithm.ROUND_ROBIN, null, 0, 100, 100);
        Balancer first = balancers.balancer(two);
        first.state(1).failed();
        Upstream one = new Upstream("default/u", null, Upstream.Algorithm.ROUND_ROBIN, null, null,
                two.targets().subList(0, 1), null, 0);
        balancers.balancer(one);
        balancers.retain(List.of(one));
        assertThat(balancers.upstreams().get("default/u").targets()).hasSize(1);
        Balancer again = balancers.balancer(two);
        assertThat(again.state(1)).isNotSameAs(first.state(1));
        assertThat(again.state(1).failures()).isZero();
    }

    @Test
    void slowStartRampsANewTargetFromTenPercent() {
        Balancers balancers = new Balancers();
        Upstream one = upstream(Upstream.Algorithm.ROUND_ROBIN, null, 10_000, 100);
        balancers.balancer(one);
        Balancer two = balancers.balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 10_000, 100, 100));
        long now = System.nanoTime();
        assertThat(two.state(0).effectiveWeight(now, 10_000_000_000L)).as("there before").isEqualTo(100);
        assertThat(two.state(1).effectiveWeight(now, 10_000_000_000L)).as("new").isBetween(10.0, 11.0);
        assertThat(two.state(1).effectiveWeight(now + 5_000_000_000L, 10_000_000_000L)).isBetween(49.0, 51.0);
        assertThat(two.state(1).effectiveWeight(now + 11_000_000_000L, 10_000_000_000L)).isEqualTo(100);
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
        Balancer b = new Balancers().balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 0, 100, 100, 100, 100));
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
        Balancer b = new Balancers().balancer(upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 0, 100, 100));
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
        Balancer b = new Balancers().balancer(upstream(Upstream.Algorithm.LEAST_LATENCY,
                new Upstream.HealthChecks(active, null), 0, 100, 100));
        b.state(0).probed(false, active);
        assertThat(b.pick(new BitSet())).isEqualTo(1);
        b.state(1).probed(false, active);
        assertThat(b.pick(new BitSet())).isIn(0, 1);
        b.state(0).probed(true, active);
        assertThat(b.pick(new BitSet())).isEqualTo(0);
    }
}
