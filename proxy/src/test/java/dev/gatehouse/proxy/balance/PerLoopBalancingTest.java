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
 * Picks on real event-loop threads. Round robin's common case reads one smooth sequence shared
 * by the loops (successive requests alternate whichever loop serves them); its other cases run
 * on each loop's own position, exact within every loop; health and weight changes reach every
 * loop's next pick. No pick locks.
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

    /**
     * {@code rounds} times: {@code perTurn} picks on loop 0, then {@code perTurn} on loop 1.
     *
     * @return each loop's picks in order, then all picks in the order they were made
     */
    private List<StringBuilder> interleaved(Balancer b, int rounds, int perTurn) {
        return interleaved(b, rounds, perTurn, new BitSet());
    }

    private List<StringBuilder> interleaved(Balancer b, int rounds, int perTurn, BitSet tried) {
        List<StringBuilder> seen = List.of(new StringBuilder(), new StringBuilder(), new StringBuilder());
        for (int r = 0; r < rounds; r++) {
            for (int l = 0; l < 2; l++) {
                StringBuilder out = seen.get(l);
                loops.get(l).submit(() -> {
                    for (int i = 0; i < perTurn; i++) {
                        char c = (char) ('a' + b.pick((BitSet) tried.clone()));
                        out.append(c);
                        seen.get(2).append(c);
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
    void successivePicksFollowOneSmoothSequenceWhicheverLoopMakesThem() {
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 5, 1, 1));
        // 3 picks per turn: the loops take turns out of step with the cycle of 7
        assertThat(interleaved(b, 14, 3).get(2).toString()).isEqualTo("aabacaa".repeat(12));
        Balancer two = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 100, 100));
        assertThat(interleaved(two, 3, 1).get(2).toString()).as("one request per connection, connections alternating loops")
                .isEqualTo("ababab");
    }

    @Test
    void otherwiseEachLoopRunsItsOwnExactSequence() {
        // a cycle of 5002 picks is longer than the shared sequence is built for: per loop
        Balancer b = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 5000, 1, 1));
        List<StringBuilder> seen = interleaved(b, 122, 41); // 5002 picks on each loop
        for (int l = 0; l < 2; l++) {
            StringBuilder s = seen.get(l);
            assertThat(count(s, 'a')).as("loop %d", l).isEqualTo(5000);
            assertThat(count(s, 'b')).as("loop %d", l).isEqualTo(1);
            assertThat(count(s, 'c')).as("loop %d", l).isEqualTo(1);
        }
        // a retry skips what it tried, on the loop's own position: exact per loop over the rest
        Balancer retry = Plans.fresh(upstream(Upstream.Algorithm.ROUND_ROBIN, null, 3, 2, 1));
        BitSet triedA = new BitSet();
        triedA.set(0);
        List<StringBuilder> retries = interleaved(retry, 5, 3, triedA);
        for (int l = 0; l < 2; l++) {
            assertThat(retries.get(l).toString()).as("loop %d", l).isEqualTo("bcb".repeat(5));
        }
    }

    @Test
    void healthAndWeightChangesReachEveryLoop() {
        Upstream.Active active = new Upstream.Active("/h", 1000, 100, 1, 1, List.of());
        Upstream.HealthChecks checks = new Upstream.HealthChecks(active, null);
        Balancers balancers = new Balancers();
        Balancer b = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 1, 1, 1));
        interleaved(b, 1, 3);

        b.state(1).probed(false, active); // b goes down
        String down = interleaved(b, 10, 2).get(2).toString();
        assertThat(down).isEqualTo("ac".repeat(20));
        b.state(1).probed(true, active); // back
        assertThat(count(interleaved(b, 3, 3).get(2), 'b')).isEqualTo(6);

        // a new snapshot weighs a at 3: the next picks follow the new weights, exactly per cycle of 5
        Balancer reweighed = Plans.committed(balancers, upstream(Upstream.Algorithm.ROUND_ROBIN, checks, 3, 1, 1));
        String after = interleaved(reweighed, 50, 5).get(2).toString();
        assertThat(count(after, 'a')).isEqualTo(300);
        assertThat(count(after, 'b')).isEqualTo(100);
        assertThat(count(after, 'c')).isEqualTo(100);
    }

    @Test
    void everyAlgorithmPicksOnLoopsAndLeastConnectionsRotatesPerLoop() {
        for (Upstream.Algorithm a : Upstream.Algorithm.values()) {
            Balancer b = Plans.fresh(upstream(a, null, 100, 100));
            for (StringBuilder s : interleaved(b, 5, 4).subList(0, 2)) {
                assertThat(s).as(a.name()).hasSize(20);
                assertThat(s.toString()).as(a.name()).matches("[ab]+");
            }
        }
        Balancer lc = Plans.fresh(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, 100, 100));
        for (StringBuilder s : interleaved(lc, 3, 4).subList(0, 2)) {
            assertThat(s.toString()).as("ties go round robin within each loop").isEqualTo("abababababab");
        }
    }
}
