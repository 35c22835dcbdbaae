package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;

/**
 * Smooth weighted round robin (nginx's): every step adds each eligible target's weight to its
 * current weight, picks the largest and takes the total off it, so weights 5:1:1 give
 * {@code a a b a c a a}, never five a's in a row. No pick takes a lock.
 *
 * <p>The common case — a first attempt, no target ramping up (slow start), at most
 * {@value #MAX_TARGETS} targets and a cycle of at most {@value #MAX_CYCLE} picks — reads one
 * smooth sequence shared by all event loops: the cycle for the targets now eligible is computed
 * once (again only when one goes down or comes back) and a pick is the entry at the upstream's
 * next ticket, one atomic add. So successive requests alternate however their connections are
 * spread over the loops (the walkthrough's {@code curl}s), and the spread is exact over every
 * cycle. Otherwise (a retry, which must skip the targets it tried; slow start, whose weights
 * change by the millisecond; a very large cycle) each event loop runs the algorithm on its own
 * position ({@link LoopView}): exact within every loop, nothing shared.
 */
final class RoundRobin implements SelectionStrategy {
    static final int MAX_TARGETS = 64;
    static final int MAX_CYCLE = 4096;

    private final Balancer b;
    /** Target slots are below this: the length a loop's current weights need. */
    private final int slots;
    /** The cycle of the targets last seen eligible, built on first use; stale entries are merely rebuilt. */
    private volatile Cycle cycle;

    /** The smooth sequence of one set of eligible targets; {@code order} null when the cycle is too long. */
    private record Cycle(long mask, int[] order) {
    }

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
        if (b.size() <= MAX_TARGETS && (tried == null || tried.isEmpty()) && !b.rampingUp(now)) {
            long mask = 0;
            for (int i = 0; i < b.size(); i++) {
                if (b.eligible(i, null, now, strict)) {
                    mask |= 1L << i;
                }
            }
            if (mask == 0) {
                return -1;
            }
            Cycle c = cycle;
            if (c == null || c.mask != mask) {
                c = new Cycle(mask, order(mask));
                cycle = c;
            }
            if (c.order != null) {
                long ticket = b.upstreamState().nextTicket();
                return c.order[(int) Long.remainderUnsigned(ticket, c.order.length)];
            }
        }
        return perLoop(tried, now, strict);
    }

    /** One cycle of the smooth sequence over the targets in {@code mask}, weights divided by their gcd; null when longer than {@value #MAX_CYCLE}. */
    private int[] order(long mask) {
        int gcd = 0;
        long total = 0;
        for (int i = 0; i < b.size(); i++) {
            if ((mask & 1L << i) != 0) {
                gcd = gcd(gcd, b.weight(i));
                total += b.weight(i);
            }
        }
        long length = total / gcd;
        if (length > MAX_CYCLE) {
            return null;
        }
        int[] order = new int[(int) length];
        long[] current = new long[b.size()];
        for (int k = 0; k < order.length; k++) {
            int best = -1;
            for (int i = 0; i < b.size(); i++) {
                if ((mask & 1L << i) != 0) {
                    current[i] += b.weight(i) / gcd;
                    if (best < 0 || current[i] > current[best]) {
                        best = i;
                    }
                }
            }
            current[best] -= length;
            order[k] = best;
        }
        return order;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private int perLoop(BitSet tried, long now, boolean strict) {
        int loop = LoopSlots.current();
        if (loop == LoopSlots.SHARED) {
            LoopView shared = b.upstreamState().sharedView();
            synchronized (shared) {
                return perLoop(shared, tried, now, strict);
            }
        }
        return perLoop(b.upstreamState().view(loop), tried, now, strict);
    }

    private int perLoop(LoopView view, BitSet tried, long now, boolean strict) {
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
