package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;

/**
 * Fewest in-flight requests (all event loops together) per unit of weight. The scan starts at a
 * position that rotates per event loop ({@link LoopView#cursor}), so ties go round robin without a
 * shared counter.
 */
final class LeastConnections implements SelectionStrategy {
    private final Balancer b;

    LeastConnections(Balancer b) {
        this.b = b;
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict) {
        int n = b.size();
        if (n == 0) {
            return -1;
        }
        int start = Math.floorMod(nextCursor(), n);
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (!b.eligible(i, tried, now, strict)) {
                continue;
            }
            double score = (b.target(i).inFlight() + 1) / b.effectiveWeight(i, now);
            if (score < bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return best;
    }

    private int nextCursor() {
        int loop = LoopSlots.current();
        if (loop == LoopSlots.SHARED) {
            LoopView shared = b.upstreamState().sharedView();
            synchronized (shared) {
                return shared.cursor++;
            }
        }
        return b.upstreamState().view(loop).cursor++;
    }
}
