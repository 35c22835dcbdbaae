package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The {@link ClusterState} kept up to date from informer events, so a rebuild does not list every
 * informer cache and index 41 000 objects again (docs/translation.md). Each informer feeds one
 * {@link Feed}; an event is applied to it in O(log n) and marks its kind changed. {@link #state()}
 * hands the translator, for a kind that did not change since the last state, the same immutable
 * list and index as last time (O(1)); for one that changed, its objects copied into a new
 * immutable list (references only, in namespace/name order, so the translator's sort is one
 * linear pass) and indexed again.
 *
 * <p>Events are matched by uid and resourceVersion: an event older than the object held for its
 * name (a replayed add or update, an update of an earlier incarnation deleted since, a delete of
 * an earlier incarnation) is passed over and counted ({@link #staleEvents()}). resourceVersions
 * are compared as numbers when both are (the API server's are etcd revisions, one order per
 * resource type); otherwise the event is taken. A replay of the object held (same uid and
 * resourceVersion) keeps the held Java object, so the translator's kept outcomes stay valid.
 * {@link #replace} takes an informer's whole cache (a relist, or the controller's periodic
 * check): what it lists is the truth, whatever events said.
 *
 * <p>Thread-safe: informer threads apply events, the rebuild thread takes states.
 */
public final class ClusterStore {
    /** The kinds a feed may hold: those of {@link ClusterState}'s lists, in its order. */
    public enum Kind {
        UPSTREAM(Upstream.class), GATEWAY_SERVICE(GatewayService.class), GATEWAY_ROUTE(GatewayRoute.class),
        CONSUMER(Consumer.class), SERVICE(Service.class), ENDPOINT_SLICE(EndpointSlice.class), SECRET(Secret.class);

        final Class<? extends HasMetadata> type;

        Kind(Class<? extends HasMetadata> type) {
            this.type = type;
        }
    }

    /** What became of an event. */
    public enum Outcome {
        /** The store changed. */
        APPLIED,
        /** The store already held this object (same uid and resourceVersion), or had nothing to delete. */
        UNCHANGED,
        /** Older than what the store holds for the name: passed over. */
        STALE
    }

    /**
     * Deleted names remembered per feed (uid and resourceVersion), so a replayed event of a deleted
     * object does not bring it back; a relist ({@link #replace}) remembers the names it removes and
     * forgets those it lists. The oldest is forgotten beyond this many ({@link #tombstoneLimit},
     * the controller's {@code --deleted-names-remembered}), counted ({@link #tombstonesForgotten})
     * and logged ({@code event=state.deleted_name_forgotten}, at most once a minute): it matters
     * only for a replay of an object deleted more than this many deletes ago, which no informer
     * sends. About 200 bytes each: 16 384 per feed is about 3 MiB per feed at most.
     */
    public static final int DEFAULT_TOMBSTONES = 16_384;
    /** The largest {@link #tombstoneLimit}. */
    public static final int MAX_TOMBSTONES = 1 << 22;
    private static final long FORGET_LOG_EVERY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClusterStore.class);

    /** One informer's objects, by namespace and name. */
    public static final class Feed {
        private final Kind kind;
        private final TreeMap<Name, HasMetadata> objects = new TreeMap<>();
        /** In the order they were deleted; at most {@link #tombstones} (the store's lock). */
        private final java.util.LinkedHashMap<Name, HasMetadata> deleted = new java.util.LinkedHashMap<>();

        private Feed(Kind kind) {
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    /** An object's place: namespace, then name (the translator's {@link Sources#NAME_ORDER}). */
    private record Name(String namespace, String name) implements Comparable<Name> {
        static Name of(HasMetadata o) {
            return new Name(Sources.namespace(o), Objects.requireNonNullElse(o.getMetadata().getName(), ""));
        }

        @Override
        public int compareTo(Name o) {
            int c = namespace.compareTo(o.namespace);
            return c != 0 ? c : name.compareTo(o.name);
        }
    }

    private final List<Feed> feeds = new ArrayList<>();
    private final Map<Kind, List<?>> lists = new EnumMap<>(Kind.class);
    private final Map<Kind, Boolean> changed = new EnumMap<>(Kind.class);
    private long staleEvents;
    private long events;
    private int tombstones = DEFAULT_TOMBSTONES;
    private long tombstonesForgotten;
    private long forgottenLogged;
    private long lastForgetLog;
    private boolean forgetLogged;

    public ClusterStore() {
        for (Kind k : Kind.values()) {
            changed.put(k, true);
        }
    }

    /** A new feed of {@code kind} (one per informer); its objects come after those of earlier feeds of the kind. */
    public synchronized Feed feed(Kind kind) {
        Feed f = new Feed(requireNonNull(kind, "kind"));
        feeds.add(f);
        return f;
    }

    /** An add or an update. */
    public synchronized Outcome upsert(Feed feed, HasMetadata object) {
        requireNonNull(object, "object");
        events++;
        if (!feed.kind.type.isInstance(object)) {
            throw new IllegalArgumentException("object: " + object.getKind() + " (expected: " + feed.kind.type.getSimpleName() + ")");
        }
        Name name = Name.of(object);
        HasMetadata held = feed.objects.get(name);
        if (held == null) {
            HasMetadata gone = feed.deleted.get(name);
            if (gone != null && !newer(object, gone, true)) {
                staleEvents++;
                return Outcome.STALE;
            }
            feed.deleted.remove(name);
        } else if (held == object || (sameUid(held, object) && version(object) != null && sameVersion(held, object))) {
            return Outcome.UNCHANGED;
        } else if (!newer(object, held, false)) {
            staleEvents++;
            return Outcome.STALE;
        }
        feed.objects.put(name, object);
        changed.put(feed.kind, true);
        return Outcome.APPLIED;
    }

    /** A delete: applied when it is of the object held (same uid) and not older than it. */
    public synchronized Outcome delete(Feed feed, HasMetadata object) {
        requireNonNull(object, "object");
        events++;
        Name name = Name.of(object);
        HasMetadata held = feed.objects.get(name);
        if (held == null) {
            return Outcome.UNCHANGED;
        }
        if (!sameUid(held, object) || older(object, held)) {
            staleEvents++;
            return Outcome.STALE;
        }
        feed.objects.remove(name);
        remember(feed, name, object);
        changed.put(feed.kind, true);
        return Outcome.APPLIED;
    }

    /**
     * The feed's objects become exactly {@code objects} (an informer's cache after a relist, or
     * checked against it). An object held with the same uid and resourceVersion stays the held
     * Java object. Returns how many objects were added, replaced or removed: 0 when the events
     * had kept the feed right.
     */
    public synchronized int replace(Feed feed, Collection<? extends HasMetadata> objects) {
        Map<Name, HasMetadata> next = new HashMap<>();
        for (HasMetadata o : objects) {
            next.put(Name.of(o), o);
        }
        int differences = 0;
        for (var it = feed.objects.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Name, HasMetadata> e = it.next();
            HasMetadata listed = next.remove(e.getKey());
            if (listed == null) {
                it.remove();
                remember(feed, e.getKey(), e.getValue());
                differences++;
            } else if (listed != e.getValue()
                    && !(sameUid(listed, e.getValue()) && version(listed) != null && sameVersion(listed, e.getValue()))) {
                e.setValue(listed);
                differences++;
            }
        }
        for (Map.Entry<Name, HasMetadata> e : next.entrySet()) {
            feed.objects.put(e.getKey(), e.getValue());
            feed.deleted.remove(e.getKey());
            differences++;
        }
        if (differences > 0) {
            changed.put(feed.kind, true);
        }
        return differences;
    }

    /** The kept state: kinds unchanged since the last call are the same lists and indexes as then. */
    public synchronized ClusterState state() {
        for (Kind k : Kind.values()) {
            if (changed.get(k)) {
                lists.put(k, list(k));
                changed.put(k, false);
            } else if (lists.get(k) instanceof IndexedList<?> indexed) {
                lists.put(k, indexed.fresh());
            }
        }
        return new ClusterState(get(Kind.UPSTREAM), get(Kind.GATEWAY_SERVICE), get(Kind.GATEWAY_ROUTE), get(Kind.CONSUMER),
                get(Kind.SERVICE), get(Kind.ENDPOINT_SLICE), get(Kind.SECRET));
    }

    /**
     * How many deleted names each feed remembers ({@code --deleted-names-remembered}); lowering it
     * forgets the oldest beyond it at once.
     */
    public synchronized void tombstoneLimit(int limit) {
        if (limit < 1 || limit > MAX_TOMBSTONES) {
            throw new IllegalArgumentException("--deleted-names-remembered: " + limit + " (expected: 1.." + MAX_TOMBSTONES + ")");
        }
        tombstones = limit;
        for (Feed f : feeds) {
            trim(f);
        }
    }

    /** Deleted names forgotten because a feed remembered {@link #tombstoneLimit} newer ones. */
    public synchronized long tombstonesForgotten() {
        return tombstonesForgotten;
    }

    private void remember(Feed feed, Name name, HasMetadata object) {
        feed.deleted.put(name, object);
        trim(feed);
    }

    private void trim(Feed feed) {
        int before = feed.deleted.size();
        var it = feed.deleted.entrySet().iterator();
        while (feed.deleted.size() > tombstones) {
            it.next();
            it.remove();
            tombstonesForgotten++;
        }
        if (feed.deleted.size() < before) {
            long now = System.nanoTime();
            if (!forgetLogged || now - lastForgetLog >= FORGET_LOG_EVERY_NANOS) {
                log.info("event=state.deleted_name_forgotten kind={} limit={} forgotten={} forgotten_total={} effect=\"a replayed "
                                + "event of a name deleted this long ago would bring it back; no informer sends one\" "
                                + "knob=--deleted-names-remembered", feed.kind, tombstones, tombstonesForgotten - forgottenLogged,
                        tombstonesForgotten);
                forgetLogged = true;
                lastForgetLog = now;
                forgottenLogged = tombstonesForgotten;
            }
        }
    }

    /** Events passed over as older than the object held (replays, events of deleted incarnations). */
    public synchronized long staleEvents() {
        return staleEvents;
    }

    /** Events received (adds, updates and deletes). */
    public synchronized long events() {
        return events;
    }

    @SuppressWarnings("unchecked")
    private <T> List<T> get(Kind k) {
        return (List<T>) lists.get(k);
    }

    @SuppressWarnings("unchecked")
    private List<?> list(Kind k) {
        List<HasMetadata> all = new ArrayList<>();
        for (Feed f : feeds) {
            if (f.kind == k) {
                all.addAll(f.objects.values());
            }
        }
        return switch (k) {
            case SERVICE -> IndexedList.of((List<Service>) (List<?>) all, ClusterState.SERVICE_KEY);
            case ENDPOINT_SLICE -> IndexedList.of((List<EndpointSlice>) (List<?>) all, ClusterState.SLICE_SERVICE_KEY);
            case SECRET -> IndexedList.of((List<Secret>) (List<?>) all, ClusterState.SECRET_KEY);
            default -> List.copyOf(all);
        };
    }

    private static boolean sameUid(HasMetadata a, HasMetadata b) {
        return Objects.equals(a.getMetadata().getUid(), b.getMetadata().getUid());
    }

    private static boolean sameVersion(HasMetadata a, HasMetadata b) {
        return Objects.equals(a.getMetadata().getResourceVersion(), b.getMetadata().getResourceVersion());
    }

    /**
     * Whether {@code incoming} replaces {@code held}: a later resourceVersion (an update, or a new
     * incarnation of the name), or one that cannot be compared (none, or not a number: the event
     * is taken, as an informer's cache takes it). {@code afterDelete}: {@code held} is the deleted
     * object, and its uid never comes back.
     */
    private static boolean newer(HasMetadata incoming, HasMetadata held, boolean afterDelete) {
        if (afterDelete && incoming.getMetadata().getUid() != null && sameUid(incoming, held)) {
            return false;
        }
        Long a = version(incoming);
        Long b = version(held);
        return a == null || b == null || a > b;
    }

    /** Whether {@code incoming} is known to be older than {@code held}. */
    private static boolean older(HasMetadata incoming, HasMetadata held) {
        Long a = version(incoming);
        Long b = version(held);
        return a != null && b != null && a < b;
    }

    private static Long version(HasMetadata o) {
        String rv = o.getMetadata().getResourceVersion();
        if (rv == null || rv.isEmpty() || rv.length() > 18) {
            return null;
        }
        for (int i = 0; i < rv.length(); i++) {
            if (rv.charAt(i) < '0' || rv.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(rv);
    }

    @Override
    public synchronized String toString() {
        int n = 0;
        for (Feed f : feeds) {
            n += f.objects.size();
        }
        return "ClusterStore[feeds=" + feeds.size() + ", objects=" + n + ", events=" + events + ", stale=" + staleEvents + "]";
    }
}
