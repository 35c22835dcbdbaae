package dev.gatehouse.proxy.balance;

/**
 * A weighted Maglev lookup table (Eisenbud et al., NSDI 2016, §3.4): {@link #SIZE} entries, each
 * the index of a target; a key's hash picks an entry. Each target walks its own permutation of
 * the table (offset and skip from two hashes of its {@code host:port}) and takes the next free
 * entry in turn; a target of weight w takes w/max turns per round, so its share of entries is
 * its share of weight. Built once per compiled snapshot, off the event loops; a lookup is one
 * array read.
 */
final class Maglev {
    /** A prime; with up to ~650 targets every target still owns ≥ 100 entries. */
    static final int SIZE = 65_537;

    private Maglev() {
    }

    /**
     * @param keys    target addresses; they alone decide the permutations, so the table is the
     *                same whatever order the targets come in
     * @param weights &gt; 0 to take part
     * @return entries holding target indexes, or null when no weight is &gt; 0
     */
    static int[] build(String[] keys, int[] weights) {
        int n = keys.length;
        int maxWeight = 0;
        for (int w : weights) {
            maxWeight = Math.max(maxWeight, w);
        }
        if (maxWeight == 0) {
            return null;
        }
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        long[] credit = new long[n];
        for (int i = 0; i < n; i++) {
            offset[i] = Long.remainderUnsigned(Hashing.hash(keys[i], 0x9E3779B97F4A7C15L), SIZE);
            skip[i] = Long.remainderUnsigned(Hashing.hash(keys[i], 0xC2B2AE3D27D4EB4FL), SIZE - 1) + 1;
        }
        int[] table = new int[SIZE];
        java.util.Arrays.fill(table, -1);
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                if (weights[i] <= 0) {
                    continue;
                }
                credit[i] += weights[i];
                while (credit[i] >= maxWeight) {
                    credit[i] -= maxWeight;
                    int c;
                    do {
                        c = (int) ((offset[i] + next[i] * skip[i]) % SIZE);
                        next[i]++;
                    } while (table[c] >= 0);
                    table[c] = i;
                    if (++filled == SIZE) {
                        return table;
                    }
                }
            }
        }
    }
}
