package dev.gatehouse.config.channel;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The one rule for object deltas, used by both ends: {@link #between} finds, per kind, the objects
 * put (added or changed, with their new index) and the ids removed, and {@link #apply} replays
 * them on the base, so both agree by construction on the new snapshot, list order included.
 * Pure functions.
 *
 * <p>Order: an object equal in both snapshots is kept only while the kept objects stay in the
 * base's relative order; one that moved against them is sent as a put at its new index. Replaying
 * takes the base without the removed and put ids (the kept objects, in base order) and fills the
 * new list: index {@code i} is the put object at {@code i}, else the next kept object.
 */
public final class ObjectDiff {
    /** The kinds, in the order of a snapshot's lists and of the content hash. */
    static final String[] KINDS = {"services", "routes", "upstreams", "consumers", "certificates"};

    private ObjectDiff() {
    }

    /**
     * The delta from {@code previous} (at {@code baseVersion}/{@code baseHash}) to {@code next};
     * null when nothing differs, or when more than {@code maxShare} of {@code next}'s objects are
     * put or removed (the whole snapshot is then the better message).
     */
    public static ObjectDelta between(Snapshot previous, long baseVersion, String baseHash, Snapshot next, String hash,
                                      String epoch, double maxShare) {
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(next, "next");
        ObjectDelta.Changes<Service> services = diff(previous.services(), next.services(), Service::id);
        ObjectDelta.Changes<Route> routes = diff(previous.routes(), next.routes(), Route::id);
        ObjectDelta.Changes<Upstream> upstreams = diff(previous.upstreams(), next.upstreams(), Upstream::id);
        ObjectDelta.Changes<Consumer> consumers = diff(previous.consumers(), next.consumers(), Consumer::id);
        ObjectDelta.Changes<Certificate> certificates = diff(previous.certificates(), next.certificates(), Certificate::id);
        ObjectDelta delta = new ObjectDelta(ChannelMessage.PROTOCOL, baseVersion, baseHash, next.version(), hash, epoch,
                services, routes, upstreams, consumers, certificates);
        int total = next.services().size() + next.routes().size() + next.upstreams().size() + next.consumers().size()
                + next.certificates().size();
        int count = delta.count();
        if (count == 0 || count > maxShare * Math.max(total, 1)) {
            return null;
        }
        return delta;
    }

    /**
     * The changes of one kind; null when the lists are equal.
     *
     * <p>Objects that are the very same instance at the same place from either end (a translation
     * keeps every object it did not translate again, so one route edit leaves all but one) are
     * passed over with a reference comparison; only the part between them is indexed and compared.
     * With ids unique within each list (every valid snapshot), this gives the same changes as
     * comparing every object: a kept head or tail object is kept by the rule above (its base index
     * is past every one kept before it), and no id of the part between appears in the head or tail.
     */
    static <T> ObjectDelta.Changes<T> diff(List<T> before, List<T> after, Function<T, String> id) {
        if (before == after) {
            return null;
        }
        int shorter = Math.min(before.size(), after.size());
        int head = 0;
        while (head < shorter && before.get(head) == after.get(head)) {
            head++;
        }
        int tail = 0;
        while (tail < shorter - head && before.get(before.size() - 1 - tail) == after.get(after.size() - 1 - tail)) {
            tail++;
        }
        int beforeEnd = before.size() - tail;
        int afterEnd = after.size() - tail;
        if (head == beforeEnd && head == afterEnd) {
            return null;
        }
        Map<String, Integer> index = new HashMap<>((beforeEnd - head) * 2);
        for (int i = head; i < beforeEnd; i++) {
            index.put(id.apply(before.get(i)), i);
        }
        List<ObjectDelta.Put<T>> put = new ArrayList<>();
        Set<String> present = new HashSet<>((afterEnd - head) * 2);
        int lastKept = head - 1;
        for (int i = head; i < afterEnd; i++) {
            T o = after.get(i);
            String key = id.apply(o);
            present.add(key);
            Integer at = index.get(key);
            if (at != null && at > lastKept && same(before.get(at), o)) {
                lastKept = at; // kept, and still in the base's relative order
            } else {
                put.add(new ObjectDelta.Put<>(i, o));
            }
        }
        List<String> removed = new ArrayList<>();
        for (int i = head; i < beforeEnd; i++) {
            String key = id.apply(before.get(i));
            if (!present.contains(key)) {
                removed.add(key);
            }
        }
        if (put.isEmpty() && removed.isEmpty()) {
            return null;
        }
        return new ObjectDelta.Changes<>(after.size(), put, removed);
    }

    private static boolean same(Object a, Object b) {
        return a == b || a.equals(b);
    }

    /**
     * {@code base} with the delta's changes replayed, at the delta's version. Objects kept are the
     * base's instances (nothing is copied or decoded again).
     *
     * @throws IllegalArgumentException when the delta does not fit the base: it removes or puts an
     *         id twice, removes one the base lacks, or its indices and size do not add up
     */
    public static Snapshot apply(Snapshot base, ObjectDelta delta) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(delta, "delta");
        return new Snapshot(delta.version(),
                replay("services", base.services(), delta.services(), Service::id),
                replay("routes", base.routes(), delta.routes(), Route::id),
                replay("upstreams", base.upstreams(), delta.upstreams(), Upstream::id),
                replay("consumers", base.consumers(), delta.consumers(), Consumer::id),
                replay("certificates", base.certificates(), delta.certificates(), Certificate::id));
    }

    static <T> List<T> replay(String kind, List<T> base, ObjectDelta.Changes<T> changes, Function<T, String> id) {
        if (changes == null) {
            return base;
        }
        Set<String> gone = new HashSet<>();
        for (String r : changes.removed()) {
            if (!gone.add(r)) {
                throw new IllegalArgumentException(kind + ".removed: " + r + " appears twice (expected: each id once)");
            }
        }
        int previousAt = -1;
        Set<String> put = new HashSet<>();
        for (ObjectDelta.Put<T> p : changes.put()) {
            String key = id.apply(p.object());
            if (p.at() <= previousAt || p.at() >= changes.size()) {
                throw new IllegalArgumentException(kind + ".put[" + key + "].at: " + p.at() + " (expected: ascending, "
                        + "below size " + changes.size() + ")");
            }
            previousAt = p.at();
            if (!put.add(key) || gone.contains(key)) {
                throw new IllegalArgumentException(kind + ".put: " + key + " appears twice (expected: each id once)");
            }
        }
        List<T> kept = new ArrayList<>(base.size());
        int removed = 0;
        for (T o : base) {
            String key = id.apply(o);
            if (gone.contains(key)) {
                removed++;
            } else if (!put.contains(key)) {
                kept.add(o);
            }
        }
        if (removed != gone.size()) {
            throw new IllegalArgumentException(kind + ".removed: " + changes.removed().size() + " ids, " + removed
                    + " of them in the base (expected: only ids of the base snapshot)");
        }
        if (kept.size() + changes.put().size() != changes.size()) {
            throw new IllegalArgumentException(kind + ".size: " + changes.size() + " (expected: " + (kept.size()
                    + changes.put().size()) + ", the objects kept from the base plus those put)");
        }
        List<T> out = new ArrayList<>(changes.size());
        int k = 0;
        int p = 0;
        List<ObjectDelta.Put<T>> puts = changes.put();
        for (int i = 0; i < changes.size(); i++) {
            if (p < puts.size() && puts.get(p).at() == i) {
                out.add(puts.get(p++).object());
            } else {
                out.add(kept.get(k++));
            }
        }
        return out;
    }
}
