package dev.gatehouse.proxy.balance;

import java.util.BitSet;
import java.util.List;

/** Picks the target for one attempt of a request. */
public interface TargetSelector {
    /** The targets, indexed as {@link #pick} answers. */
    List<Peer> peers();

    /**
     * @param tried indexes already tried by this request; never picked again
     * @return the index of the target to try, or -1 when no untried target with weight > 0 is left
     */
    int pick(BitSet tried);
}
