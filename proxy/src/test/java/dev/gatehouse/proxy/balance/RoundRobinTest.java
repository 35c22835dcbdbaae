package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RoundRobinTest {
    private static RoundRobin rr(int... weights) {
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            peers.add(Peer.of(new Upstream.Target("127.0.0.1", 9000 + i, weights[i])));
        }
        return new RoundRobin(peers);
    }

    private static String sequence(RoundRobin rr, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + rr.pick(null)));
        }
        return sb.toString();
    }

    @Test
    void smoothWeightedOrderIsNginxs() {
        assertThat(sequence(rr(5, 1, 1), 14)).isEqualTo("aabacaa" + "aabacaa");
    }

    @Test
    void equalWeightsAlternate() {
        assertThat(sequence(rr(100, 100), 6)).isEqualTo("ababab");
    }

    @Test
    void weightZeroIsNeverPicked() {
        assertThat(sequence(rr(0, 100, 0), 4)).isEqualTo("bbbb");
        assertThat(rr(0, 0).pick(null)).isEqualTo(-1);
        assertThat(rr().pick(null)).isEqualTo(-1);
    }

    @Test
    void triedTargetsAreSkippedUntilNoneIsLeft() {
        RoundRobin rr = rr(100, 100, 100);
        BitSet tried = new BitSet();
        for (int i = 0; i < 3; i++) {
            int pick = rr.pick(tried);
            assertThat(tried.get(pick)).isFalse();
            tried.set(pick);
        }
        assertThat(rr.pick(tried)).isEqualTo(-1);
    }
}
