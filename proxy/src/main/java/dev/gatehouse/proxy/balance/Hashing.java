package dev.gatehouse.proxy.balance;

/** 64-bit hashing of request keys without allocation: FNV-1a over the chars, then murmur3's fmix64. */
final class Hashing {
    private Hashing() {
    }

    static long hash(CharSequence s, long seed) {
        return hash(s, 0, s.length(), seed);
    }

    static long hash(CharSequence s, int from, int to, long seed) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (int i = from; i < to; i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return mix(h);
    }

    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
