package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;

/**
 * Smooth weighted round robin (nginx's): every pick adds each eligible target's weight to its
 * current weight, picks the largest and takes the total off it, so weights 5:1:1 give
 * {@code a a b a c a a}, never five a's in a row. Each event loop runs its own sequence on its own
 * {@link LoopView}: no lock, no shared write, and the spread is exact within every loop.
 */
final class RoundRobin implements SelectionStrategy {
    private final Balancer b;
    /** Target slots are below this: the length a loop's current weights need. */
    private final int slots;

    RoundRobin(Balancer b) {
        this.b = b;
        int max = -1;
        for (int i = 0; i < b.size(); i++) {
            max = Math.max(max, b.target(i).slot());
        }
        this.slots = max + 1;
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict) {
        int loop = LoopSlots.current();
        if (loop == LoopSlots.SHARED) {
            LoopView shared = b.upstreamState().sharedView();
            synchronized (shared) {
                return pick(shared, tried, now, strict);
            }
        }
        return pick(b.upstreamState().view(loop), tried, now, strict);
    }

    private int pick(LoopView view, BitSet tried, long now, boolean strict) {
        int[] current = view.current(slots);
        int best = -1;
        int bestSlot = -1;
        long total = 0;
        for (int i = 0; i < b.size(); i++) {
            if (!b.eligible(i, tried, now, strict)) {
                continue;
            }
            int slot = b.target(i).slot();
            int w = Math.max(1, (int) b.effectiveWeight(i, now));
            current[slot] += w;
            total += w;
            if (best < 0 || current[slot] > current[bestSlot]) {
                best = i;
                bestSlot = slot;
            }
        }
        if (best >= 0) {
            current[bestSlot] -= (int) total;
        }
        return best;
    }
}
