package dev.gatehouse.controller.translate;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * An immutable list that also answers "the elements of key K" from an index built once, so a
 * step that looks objects up by a reference (a Service by {@code namespace/name}, a Service's
 * EndpointSlices by its name) costs one map lookup instead of a scan of every object: with 2 000
 * Upstreams and 2 000 Services the scan made translation quadratic. Equal to any list with the
 * same elements in the same order (it is a {@link List}), so {@link ClusterState} keeps its
 * record equality. It also remembers which keys were asked for, so the controller knows which
 * Services a translation referenced.
 */
final class IndexedList<T> extends AbstractList<T> implements RandomAccess {
    private final List<T> items;
    private final Function<? super T, String> key;
    private final Map<String, List<T>> byKey;
    /** Every key asked for through {@link #get(String)}, found or not: what the translation referenced. */
    private final java.util.Set<String> asked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** While set, every key asked is also added here ({@link #alsoInto}); null otherwise. */
    private volatile java.util.Set<String> alsoAsked;

    private IndexedList(List<T> items, Function<? super T, String> key) {
        this.items = List.copyOf(items);
        this.key = key;
        Map<String, List<T>> index = new HashMap<>();
        for (T item : this.items) {
            String k = key.apply(item);
            if (k != null) {
                index.computeIfAbsent(k, x -> new ArrayList<>(1)).add(item);
            }
        }
        index.replaceAll((k, v) -> List.copyOf(v));
        this.byKey = index;
    }

    /** A view of {@code other}'s elements and index (shared: both are immutable) that remembers its own keys asked. */
    private IndexedList(IndexedList<T> other) {
        this.items = other.items;
        this.key = other.key;
        this.byKey = other.byKey;
    }

    /**
     * This list's elements and index, with no key asked yet: what {@link ClusterStore} hands each
     * translation for a kind that did not change, in O(1), so {@link ClusterState#servicesReferenced()}
     * tells what that translation asked, not what earlier ones did.
     */
    IndexedList<T> fresh() {
        return new IndexedList<>(this);
    }

    /** Whether two lists are the same object, or indexed lists over the same items ({@link #fresh()} views of one list). */
    static boolean sameItems(List<?> a, List<?> b) {
        return a == b || (a instanceof IndexedList<?> x && b instanceof IndexedList<?> y && x.items == y.items);
    }

    /** The last element whose key is {@code k}, or null; not remembered as asked. */
    T last(String k) {
        List<T> found = byKey.get(k);
        return found == null ? null : found.get(found.size() - 1);
    }

    /**
     * The elements of {@code items}, in their order, indexed by {@code key} (null: not indexed).
     * A list already indexed by the same function is returned as it is.
     */
    static <T> IndexedList<T> of(List<T> items, Function<? super T, String> key) {
        requireNonNull(key, "key");
        if (items instanceof IndexedList<T> indexed && indexed.key == key) {
            return indexed;
        }
        return new IndexedList<>(items == null ? List.of() : items, key);
    }

    /** The elements whose key is {@code k}, in list order; empty when none. */
    List<T> get(String k) {
        asked.add(k);
        java.util.Set<String> also = alsoAsked;
        if (also != null) {
            also.add(k);
        }
        return byKey.getOrDefault(k, List.of());
    }

    /**
     * From now on, also adds every key asked to {@code into} (null: stops): how a translation tells
     * which keys its later steps asked for, apart from the earlier ones ({@link ClusterState#alsoAskedInto}).
     */
    void alsoInto(java.util.Set<String> into) {
        alsoAsked = into;
    }

    /** The keys asked for so far (a live view). */
    java.util.Set<String> asked() {
        return java.util.Collections.unmodifiableSet(asked);
    }

    @Override
    public T get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }
}
