package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;

/**
 * Maglev consistent hashing on {@code hashOn} (then {@code hashFallback}); the table is built
 * when the snapshot compiles. A request without a hash value goes round robin; a retry, or an
 * unavailable target, walks the table on to the next distinct eligible target.
 */
final class ConsistentHash implements SelectionStrategy {
    private final Balancer b;
    private final Upstream upstream;
    private final RoundRobin noHash;
    private final int[] maglev;

    ConsistentHash(Balancer b, Upstream upstream, RoundRobin noHash) {
        this.b = b;
        this.upstream = upstream;
        this.noHash = noHash;
        String[] keys = new String[b.size()];
        int[] weights = new int[b.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = b.target(i).key();
            weights[i] = b.weight(i);
        }
        this.maglev = Maglev.build(keys, weights);
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict) {
        if (maglev == null) { // no target with weight > 0
            return -1;
        }
        long hash = request == null ? HashKey.ABSENT : HashKey.of(upstream.hashOn(), request, client);
        if (hash == HashKey.ABSENT && request != null) {
            hash = HashKey.of(upstream.hashFallback(), request, client);
        }
        if (hash == HashKey.ABSENT) {
            return noHash.pick(request, client, tried, now, strict);
        }
        return walk(hash, tried, now, strict);
    }

    /** The entry of {@code hash}, or the next entry onwards whose target is eligible. */
    private int walk(long hash, BitSet tried, long now, boolean strict) {
        int pos = (int) Long.remainderUnsigned(hash, Maglev.SIZE);
        for (int k = 0; k < Maglev.SIZE; k++) {
            int i = maglev[(pos + k) % Maglev.SIZE];
            if (b.eligible(i, tried, now, strict)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether some target has weight &gt; 0 (there is a table to hash into). */
    boolean hasTable() {
        return maglev != null;
    }

    /** The target index a hash maps to with every target available. */
    int lookup(long hash) {
        return maglev[(int) Long.remainderUnsigned(hash, Maglev.SIZE)];
    }
}
