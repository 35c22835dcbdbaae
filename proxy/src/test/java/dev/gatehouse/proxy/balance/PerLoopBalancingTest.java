package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Picks on real event-loop threads: each loop runs its own smooth round robin, so the spread is
 * exact within every loop however the loops interleave, and health and weight changes reach
 * every loop's next pick.
 */
class PerLoopBalancingTest {
    private final DefaultEventLoopGroup group = new DefaultEventLoopGroup(2);
    private final List<EventExecutor> loops = new ArrayList<>();

    PerLoopBalancingTest() {
        group.forEach(loops::add);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Upstream upstream(Upstream.Algorithm algorithm, Upstream.HealthChecks checks, int... weights) {
        List<Upstream.Target> targets = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            targets.add(new Upstream.Target("127.0.0.1", 9000 + i, weights[i]));
        }
        return new Upstream("default/u", null, algorithm, null, null, targets, checks, 0);
    }

    /** {@code rounds} times: {@code perTurn} picks on loop 0, then {@code perTurn} on loop 1; each loop's picks in order. */
    private List<StringBuilder> interleaved(Balancer b, int rounds, int perTurn) {
        List<StringBuilder> seen = List.of(new StringBuilder(), new StringBuilder());
        for (int r = 0; r < rounds; r++) {
            for (int l = 0; l < 2; l++) {
                StringBuilder out = seen.get(l);
                loops.get(l).submit(() -> {
                    for (int i = 0; i < perTurn; i++) {
                        out.append((char) ('a' + b.pick(new BitSet())));
                    }
                }).syncUninterruptibly();
            }
        }
        return seen;
    }

    private static long count(CharSequence s, char c) {
        return s.chars().filter(x -> x == c).count();
    }

    @Test
    void theWeightedSpreadIsExactWithinEveryLoop() {
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 5, 1, 1));
        // 3 picks per turn: the loops' sequences interleave out of step with the cycle of 7
        List<StringBuilder> seen = interleaved(b, 14, 3);
        for (StringBuilder s : seen) {
            assertThat(s.toString()).isEqualTo("aabacaa".repeat(6));
        }
    }

    @Test
    void healthAndWeightChangesReachEveryLoop() {
        Upstream.Active active = new Upstream.Active("/h", 1000, 100, 1, 1, List.of());
        Upstream.HealthChecks checks = new Upstream.HealthChecks(active, null);
        Balancers balancers = new Balancers();
        Balancer b = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 1, 1, 1));
        interleaved(b, 1, 3); // every loop has a position now

        b.state(1).probed(false, active); // b goes down
        for (StringBuilder s : interleaved(b, 10, 2)) {
            assertThat(count(s, 'b')).isZero();
            assertThat(count(s, 'a')).isEqualTo(10);
            assertThat(count(s, 'c')).isEqualTo(10);
        }
        b.state(1).probed(true, active); // back

        // a new snapshot weighs a at 3: the positions carry over, the spread follows the new weights
        Balancer reweighed = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 3, 1, 1));
        for (StringBuilder s : interleaved(reweighed, 50, 5)) {
            assertThat(count(s, 'a')).isBetween(149L, 151L);
            assertThat(count(s, 'b')).isBetween(49L, 51L);
            assertThat(count(s, 'c')).isBetween(49L, 51L);
        }
    }

    @Test
    void everyAlgorithmPicksOnLoopsWithoutSharingARoundRobinPosition() {
        for (Upstream.Algorithm a : Upstream.Algorithm.values()) {
            Balancer b = Plans.fresh(upstream(a, null, 100, 100));
            for (StringBuilder s : interleaved(b, 5, 4)) {
                assertThat(s).as(a.name()).hasSize(20);
                assertThat(s.toString()).as(a.name()).matches("[ab]+");
            }
        }
        Balancer lc = Plans.fresh(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, 100, 100));
        for (StringBuilder s : interleaved(lc, 3, 4)) {
            assertThat(s.toString()).as("ties go round robin within each loop").isEqualTo("abababababab");
        }
    }
}
