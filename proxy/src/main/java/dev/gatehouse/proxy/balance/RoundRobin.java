package dev.gatehouse.proxy.balance;

import java.util.BitSet;
import java.util.List;

/**
 * Smooth weighted round robin, nginx's algorithm ({@code ngx_http_upstream_get_peer}): each pick
 * adds every candidate's weight to its current value, picks the largest, and subtracts the
 * total from the winner. Weights 5,1,1 give a a b a c a a — spread out, no slot ring, and a
 * retry simply picks the best untried target at once. Weight 0 targets are never picked.
 *
 * <p>One instance per upstream per compiled snapshot, shared by all event loops: the pick holds
 * the instance's monitor for a few dozen instructions.
 */
public final class RoundRobin implements TargetSelector {
    private final List<Peer> peers;
    private final int[] current;

    public RoundRobin(List<Peer> peers) {
        this.peers = List.copyOf(peers);
        this.current = new int[this.peers.size()];
    }

    @Override
    public List<Peer> peers() {
        return peers;
    }

    @Override
    public synchronized int pick(BitSet tried) {
        int best = -1;
        long total = 0;
        for (int i = 0; i < current.length; i++) {
            int weight = peers.get(i).weight();
            if (weight <= 0 || (tried != null && tried.get(i))) {
                continue;
            }
            current[i] += weight;
            total += weight;
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best >= 0) {
            current[best] -= (int) total;
        }
        return best;
    }
}
