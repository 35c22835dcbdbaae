package dev.gatehouse.proxy.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An immutable map by string key, split over {@value #COUNT} shards by the key's hash, so that a
 * copy with a few keys changed ({@link #edit()}) copies only the shards they fall in: a router
 * patched for one route of 10 000 copies a shard of its routes by id and a shard of its hosts,
 * not every route and every host. A look-up costs one array index more than a plain map's.
 *
 * @param <V> the values
 */
final class Shards<V> {
    /** A power of two: at 10 000 keys, about 80 a shard. */
    static final int COUNT = 128;

    private static final Shards<?> EMPTY = new Shards<>(emptyShards(), 0);

    private final Map<String, V>[] shards;
    private final int size;

    private Shards(Map<String, V>[] shards, int size) {
        this.shards = shards;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    static <V> Shards<V> empty() {
        return (Shards<V>) EMPTY;
    }

    /** The entries of {@code all}, which is not kept. */
    static <V> Shards<V> of(Map<String, V> all) {
        if (all.isEmpty()) {
            return empty();
        }
        Editor<V> e = Shards.<V>empty().edit();
        all.forEach(e::put);
        return e.build();
    }

    private static int index(String key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (COUNT - 1);
    }

    V get(String key) {
        return shards[index(key)].get(key);
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void forEachValue(Consumer<V> action) {
        for (Map<String, V> shard : shards) {
            shard.values().forEach(action);
        }
    }

    /** A copy to change: each shard is copied the first time a key of it is put or removed. */
    Editor<V> edit() {
        return new Editor<>(this);
    }

    @SuppressWarnings("unchecked")
    private static <V> Map<String, V>[] emptyShards() {
        Map<String, V>[] out = new Map[COUNT];
        java.util.Arrays.fill(out, Map.of());
        return out;
    }

    /** Copy on write per shard; {@link #build()} seals the copied shards. Not thread-safe. */
    static final class Editor<V> {
        private final Map<String, V>[] shards;
        private final boolean[] copied = new boolean[COUNT];
        private int size;

        private Editor(Shards<V> from) {
            this.shards = from.shards.clone();
            this.size = from.size;
        }

        V get(String key) {
            return shards[index(key)].get(key);
        }

        /** @return the value {@code key} had, or null */
        V put(String key, V value) {
            V before = writable(key).put(key, value);
            if (before == null) {
                size++;
            }
            return before;
        }

        /** @return the value {@code key} had, or null */
        V remove(String key) {
            if (!shards[index(key)].containsKey(key)) {
                return null;
            }
            size--;
            return writable(key).remove(key);
        }

        private Map<String, V> writable(String key) {
            int i = index(key);
            if (!copied[i]) {
                copied[i] = true;
                shards[i] = new HashMap<>(shards[i]);
            }
            return shards[i];
        }

        Shards<V> build() {
            for (int i = 0; i < COUNT; i++) {
                if (copied[i]) {
                    shards[i] = shards[i].isEmpty() ? Map.of() : Map.copyOf(shards[i]);
                    copied[i] = false;
                }
            }
            return size == 0 ? empty() : new Shards<>(shards.clone(), size);
        }
    }
}
