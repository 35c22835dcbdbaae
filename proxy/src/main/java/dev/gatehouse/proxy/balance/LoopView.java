package dev.gatehouse.proxy.balance;

import java.util.Arrays;

/**
 * One event loop's balancing position in one upstream: the smooth round robin weights of its
 * targets (indexed by {@link TargetState#slot()}) and the least-connections scan's start. Only
 * its own loop touches it, so it needs no lock and no atomic; it lives in the
 * {@link UpstreamState}, so it survives snapshot swaps as the targets' state does. Each loop runs
 * its own smooth round robin, so the weighted spread is exact within every loop, as nginx's is
 * within each worker.
 */
final class LoopView {
    private int[] current = new int[4];
    int cursor;

    /** The current weights, long enough for target slots below {@code slots}. */
    int[] current(int slots) {
        if (current.length < slots) {
            current = Arrays.copyOf(current, Math.max(slots, current.length * 2));
        }
        return current;
    }
}
