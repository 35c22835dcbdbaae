package dev.gatehouse.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A snapshot known valid, with the ids of each kind (built on first use and shared with the
 * next index while the kind does not change), so that a snapshot made from it by an object delta
 * is checked in proportion to the change: {@link #validate} finds exactly the problems
 * {@link Snapshot#validate()} finds, in the same order, through the rules of
 * {@link SnapshotValidator} (written there only), applied to the objects whose problems the change
 * may have changed:
 * <ul>
 *   <li>ids: the objects kept are the base's, their ids unique and distinct from the ids put (a
 *       put replaces the base's object of its id), so only the ids put are checked, among themselves;</li>
 *   <li>the rules of one object (ranges, regexes, paths, filters): for the objects put only; a
 *       kept object passed them in the base, and they read nothing but the object;</li>
 *   <li>references (a service's upstream, a route's service and anonymous consumer): for the
 *       objects put, and for kept objects naming an id removed; an id put is present, an id kept stays;</li>
 *   <li>consumers (a key digest claimed once per namespace) and certificates (one owner per name,
 *       one fallback, ids sorted): checked whole when their kind changed, as these rules compare
 *       each object with all others of its kind; not at all when it did not.</li>
 * </ul>
 * Not thread-safe: the proxy's apply thread owns it.
 */
public final class SnapshotIndex {
    private final Snapshot snapshot;
    private Set<String> upstreamIds;
    private Set<String> serviceIds;
    private Set<String> consumerIds;

    private SnapshotIndex(Snapshot snapshot) {
        this.snapshot = snapshot;
    }

    /** @param valid a snapshot whose {@link Snapshot#validate()} found no problem */
    public static SnapshotIndex of(Snapshot valid) {
        return new SnapshotIndex(Objects.requireNonNull(valid, "valid"));
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /**
     * What an object delta changed of one kind.
     *
     * @param put     the indexes, in the new list, of the objects added or replaced; ascending
     * @param removed the ids of the base's objects that are gone (none of them put)
     */
    public record Kind(int[] put, Set<String> removed) {
        public Kind {
            Objects.requireNonNull(put, "put");
            removed = Set.copyOf(removed);
        }
    }

    /** The changes per kind; null for a kind that did not change (its list is the base's). */
    public record Changes(Kind services, Kind routes, Kind upstreams, Kind consumers, Kind certificates) {
    }

    /**
     * The problems of {@code next}, exactly as {@code next.validate()} lists them.
     *
     * @param next    this index's snapshot with {@code changes} replayed: per changed kind, the base's
     *                objects not removed and not put, in base order, and the objects put at their
     *                indexes ({@code ObjectDiff.apply}); the other kinds' lists are the base's
     */
    public List<Problem> validate(Snapshot next, Changes changes) {
        SnapshotValidator v = new SnapshotValidator();
        putIds(v, next.upstreams(), Upstream::id, changes.upstreams(), "upstreams");
        putIds(v, next.services(), Service::id, changes.services(), "services");
        putIds(v, next.routes(), Route::id, changes.routes(), "routes");
        putIds(v, next.consumers(), Consumer::id, changes.consumers(), "consumers");
        if (changes.upstreams() != null) {
            for (int i : changes.upstreams().put()) {
                v.checkUpstream(next.upstreams().get(i), "upstreams[" + i + "]");
            }
        }
        Predicate<String> upstreams = ids(this::upstreamIds, next.upstreams(), Upstream::id, changes.upstreams());
        for (int i : suspects(changes.services(), next.services(), changes.upstreams(), Service::upstream, null, null)) {
            v.checkService(next.services().get(i), "services[" + i + "]", upstreams);
        }
        Predicate<String> services = ids(this::serviceIds, next.services(), Service::id, changes.services());
        Predicate<String> consumers = ids(this::consumerIds, next.consumers(), Consumer::id, changes.consumers());
        for (int i : suspects(changes.routes(), next.routes(), changes.services(), Route::service, changes.consumers(),
                r -> r.keyAuth() == null ? null : r.keyAuth().anonymous())) {
            v.checkRoute(next.routes().get(i), "routes[" + i + "]", services, consumers);
        }
        if (changes.consumers() != null) {
            v.checkConsumers(next.consumers());
        }
        if (changes.certificates() != null) {
            v.checkCertificates(next.certificates());
        }
        return v.problems();
    }

    /** The index of {@code next} (valid: {@link #validate} found nothing), sharing the ids of the kinds not changed. */
    public SnapshotIndex next(Snapshot next, Changes changes) {
        SnapshotIndex n = new SnapshotIndex(next);
        n.upstreamIds = changes.upstreams() == null ? upstreamIds : null;
        n.serviceIds = changes.services() == null ? serviceIds : null;
        n.consumerIds = changes.consumers() == null ? consumerIds : null;
        return n;
    }

    private Set<String> upstreamIds() {
        if (upstreamIds == null) {
            upstreamIds = idSet(snapshot.upstreams(), Upstream::id);
        }
        return upstreamIds;
    }

    private Set<String> serviceIds() {
        if (serviceIds == null) {
            serviceIds = idSet(snapshot.services(), Service::id);
        }
        return serviceIds;
    }

    private Set<String> consumerIds() {
        if (consumerIds == null) {
            consumerIds = idSet(snapshot.consumers(), Consumer::id);
        }
        return consumerIds;
    }

    private static <T> Set<String> idSet(List<T> objects, Function<T, String> id) {
        Set<String> ids = new HashSet<>(objects.size() * 4 / 3 + 1);
        objects.forEach(o -> ids.add(id.apply(o)));
        return ids;
    }

    /** The ids put of one kind, checked among themselves at their places in the new list. */
    private static <T> void putIds(SnapshotValidator v, List<T> next, Function<T, String> id, Kind kind, String list) {
        if (kind == null) {
            return;
        }
        List<String> ids = new ArrayList<>(kind.put().length);
        for (int i : kind.put()) {
            ids.add(id.apply(next.get(i)));
        }
        v.ids(ids, i -> kind.put()[i], list);
    }

    /** Whether an id is one of the new list's: put, or the base's and not removed. The base's ids are built on first use. */
    private static <T> Predicate<String> ids(java.util.function.Supplier<Set<String>> base, List<T> next, Function<T, String> id,
                                             Kind kind) {
        if (kind == null) {
            return x -> base.get().contains(x);
        }
        Set<String> put = new HashSet<>();
        for (int i : kind.put()) {
            put.add(id.apply(next.get(i)));
        }
        return x -> put.contains(x) || (!kind.removed().contains(x) && base.get().contains(x));
    }

    /** Whether {@code id} (null: none) is one {@code kind} removed. */
    private static boolean names(Kind kind, String id) {
        return kind != null && id != null && kind.removed().contains(id);
    }

    /**
     * The indexes, ascending, of the objects whose problems may differ from the base's: those put,
     * and those naming (through {@code ref} or {@code ref2}) an id removed from the kind they refer to.
     */
    private static <T> Iterable<Integer> suspects(Kind own, List<T> next, Kind referred, Function<T, String> ref,
                                                  Kind referred2, Function<T, String> ref2) {
        boolean scan = (referred != null && !referred.removed().isEmpty()) || (referred2 != null && !referred2.removed().isEmpty());
        TreeSet<Integer> out = new TreeSet<>();
        if (own != null) {
            for (int i : own.put()) {
                out.add(i);
            }
        }
        if (scan) {
            for (int i = 0; i < next.size(); i++) {
                T o = next.get(i);
                if (names(referred, ref.apply(o)) || (referred2 != null && names(referred2, ref2.apply(o)))) {
                    out.add(i);
                }
            }
        }
        return out;
    }
}
