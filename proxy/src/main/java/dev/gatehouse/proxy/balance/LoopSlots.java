package dev.gatehouse.proxy.balance;

import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;

import java.util.BitSet;

/**
 * A small dense number for each live event-loop thread (0, 1, … in the order they first ask), so
 * per-event-loop balancer state can sit in an array read without a lock. A number is given back
 * when its thread ends (Netty removes a {@link FastThreadLocalThread}'s thread locals as it exits)
 * and reused by the next loop. Any other thread (a test, a tool) gets {@link #SHARED}: state it
 * touches is shared and locked.
 */
final class LoopSlots {
    /** The slot of a thread that is not an event loop. */
    static final int SHARED = -1;

    /** Slots in use; guarded by the class's monitor. */
    private static final BitSet USED = new BitSet();

    private static final FastThreadLocal<Integer> SLOT = new FastThreadLocal<>() {
        @Override
        protected Integer initialValue() {
            return Thread.currentThread() instanceof FastThreadLocalThread ? take() : SHARED;
        }

        @Override
        protected void onRemoval(Integer slot) {
            if (slot != SHARED) {
                give(slot);
            }
        }
    };

    private LoopSlots() {
    }

    /** This thread's slot: {@code >= 0} on an event loop, else {@link #SHARED}. */
    static int current() {
        return SLOT.get();
    }

    private static synchronized int take() {
        int slot = USED.nextClearBit(0);
        USED.set(slot);
        return slot;
    }

    private static synchronized void give(int slot) {
        USED.clear(slot);
    }
}
