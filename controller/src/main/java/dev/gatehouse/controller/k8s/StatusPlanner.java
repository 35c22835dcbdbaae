package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.Sources;
import dev.gatehouse.controller.translate.StatusCondition;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Plans a status pass of the {@link StatusUpdater}: which of Gatehouse's own objects show a status
 * other than the one they should, in the order they are to be written (objects whose generation
 * changed first).
 *
 * <p>A <em>full</em> plan looks at every object of the state (27 000 at full size: 70–170 ms of CPU
 * on two busy cores). A <em>narrowed</em> plan looks only at the objects whose status could have
 * changed since the last plan, and gives the same writes a full plan would:
 * <ul>
 *   <li>the statuses the endpoint path replaced since ({@code touched}: the Upstreams whose targets
 *       moved; every other status is the same object at the same index), or after a rebuild (a
 *       route edit) the statuses that differ from those last planned, found by comparing the two
 *       translations' lists index by index: the edited route, and whatever its edit changed
 *       elsewhere (a route it now conflicts with, a GatewayService's or Upstream's status) — a
 *       status equal to the one last planned, of an object whose generation is the same, is
 *       judged from the same inputs;</li>
 *   <li>the objects the informer cache holds anew (a status write coming back, the most frequent);</li>
 *   <li>the objects of each "first version of this generation" whose Programmed inputs moved (a
 *       proxy's acknowledgement of a version some object still waits for);</li>
 *   <li>the objects not yet found to show their status: planned to be written (written or not yet),
 *       or a failed write's, backing off.</li>
 * </ul>
 * An object of a new generation is first held by the version planned, as a full plan finds.
 * Everything else is what the last plan found unchanged, from inputs that have not changed, so a
 * full plan would find it unchanged again. A narrowed plan is made only after a complete plan and
 * only when what it cannot see held still: the object lists' sizes and names (a route added or
 * deleted: a full plan), the statuses' objects at each index, the count of proxies serving,
 * whether none is connected, the proxies' refusals of the version planned. Anything else
 * (leadership won, a failed pass, a proxy coming or going, a refusal) gets a full plan.
 * {@code StatusPlannerTest} compares the two over random sequences of changes.
 *
 * <p>The status updater's thread only (not thread-safe).
 */
@SuppressWarnings("rawtypes")
final class StatusPlanner {
    /** The first snapshot version that held an object's current generation. */
    record Since(long generation, long version) {
    }

    /** An object to write: what it showed when planned and what it should show. */
    record Pending(String key, CustomResource cached, ObjectStatus decided, boolean generationChanged) {
    }

    /**
     * One pass's plan.
     *
     * @param todo      the objects to write, in order
     * @param planned   the objects looked at
     * @param unchanged the objects found to show their status already
     * @param narrowed  true for a narrowed plan, false for a full one
     */
    record Plan(List<Pending> todo, int planned, int unchanged, boolean narrowed) {
    }

    /** An object of the state as the last plan saw it, with the index of its status in the translation. */
    private static final class Slot {
        HasMetadata cached;
        int status = -1;
        /** The {@link Since#version()} whose list in {@link Basis#bySince} holds {@link #status}. */
        long since;

        Slot(HasMetadata cached) {
            this.cached = cached;
        }
    }

    /** What an object's Programmed is decided from, for the objects of one {@link Since#version()}. */
    private record FleetInputs(int acked, String behind) {
        static FleetInputs of(ProxyFleet fleet, long since) {
            return new FleetInputs(fleet.ackedAtLeast(since), fleet.behind(since));
        }
    }

    /** The last complete plan: what a narrowed one compares with. */
    private static final class Basis {
        /** The state's lists of Gatehouse's kinds, by {@link #kinds}, as last planned. */
        List<List<? extends HasMetadata>> lists;
        final Map<String, Slot> objects;
        /** The statuses of the translation last planned, by index: what a rebuild's are compared with. */
        List<ObjectStatus> statuses;
        final Map<Long, List<Integer>> bySince;
        final Map<Long, FleetInputs> fleetBySince;
        final int synced;
        final boolean noneConnected;
        final Map<String, String> rejections;
        /** Objects not found to show their status (to write, or backing off): key → status index. */
        Map<String, Integer> unsettled;

        Basis(List<List<? extends HasMetadata>> lists, Map<String, Slot> objects, List<ObjectStatus> statuses,
              Map<Long, List<Integer>> bySince,
              Map<Long, FleetInputs> fleetBySince, int synced, boolean noneConnected, Map<String, String> rejections,
              Map<String, Integer> unsettled) {
            this.lists = lists;
            this.objects = objects;
            this.statuses = statuses;
            this.bySince = bySince;
            this.fleetBySince = fleetBySince;
            this.synced = synced;
            this.noneConnected = noneConnected;
            this.rejections = rejections;
            this.unsettled = unsettled;
        }
    }

    private final StatusShown shown;
    /** By uid: the first version that held each object's current generation. */
    private final Map<String, Since> since = new HashMap<>();
    /** Null: the next plan is a full one. */
    private Basis basis;

    StatusPlanner(StatusShown shown) {
        this.shown = requireNonNull(shown, "shown");
    }

    /** The lists of Gatehouse's own kinds in {@code state}, in one order. */
    private static List<List<? extends HasMetadata>> kinds(ClusterState state) {
        return List.of(state.upstreams(), state.services(), state.routes(), state.consumers());
    }

    private static String key(HasMetadata o) {
        return o.getKind() + "/" + Sources.key(o);
    }

    /** The next plan is a full one (after a failed pass: what it left half done is not known). */
    void forget() {
        basis = null;
    }

    /** The first version that held the current generation of the object of {@code uid}; {@code version} when not known. */
    long since(String uid, long version) {
        Since s = since.get(uid);
        return s == null ? version : s.version();
    }

    /**
     * Plans a pass over {@code d}, narrowed where it can be.
     *
     * @param touched the status indexes the endpoint path replaced since the last complete plan;
     *                null when a rebuild translated again since: the statuses that differ from
     *                those last planned are found by comparing the two translations' (the same
     *                objects at the same indexes, or a full plan)
     * @param fleet   the proxies now
     * @param now     the updater's clock, for the write retries' backoff
     */
    Plan plan(StatusUpdater.Desired d, Set<Integer> touched, ProxyFleet fleet, long now) {
        if (basis != null) {
            Plan p = narrowed(d, touched, fleet, now);
            if (p != null) {
                return p;
            }
        }
        return full(d, fleet, now);
    }

    /** Plans a pass over every object of {@code d} (leadership won, a failed pass: what the last plans saw is not to be trusted). */
    Plan planFull(StatusUpdater.Desired d, ProxyFleet fleet, long now) {
        return full(d, fleet, now);
    }

    /**
     * The indexes whose status in {@code now} is not the one at the same index in {@code before}:
     * null when the two do not list the same objects in the same order (an object added, removed
     * or renamed: a full plan).
     */
    private static Set<Integer> differing(List<ObjectStatus> before, List<ObjectStatus> now) {
        if (before.size() != now.size()) {
            return null;
        }
        Set<Integer> out = new TreeSet<>();
        for (int i = 0; i < now.size(); i++) {
            ObjectStatus a = before.get(i);
            ObjectStatus b = now.get(i);
            if (a == b) {
                continue;
            }
            if (!a.source().display().equals(b.source().display())) {
                return null;
            }
            if (!a.equals(b)) {
                out.add(i);
            }
        }
        return out;
    }

    private Plan full(StatusUpdater.Desired d, ProxyFleet fleet, long now) {
        basis = null;
        List<List<? extends HasMetadata>> lists = kinds(d.state());
        Map<String, Slot> objects = new HashMap<>();
        for (List<? extends HasMetadata> list : lists) {
            for (HasMetadata o : list) {
                objects.put(key(o), new Slot(o));
            }
        }
        Map<String, Since> seen = new HashMap<>();
        Map<Long, List<Integer>> bySince = new HashMap<>();
        Map<String, Integer> unsettled = new HashMap<>();
        List<Pending> todo = new ArrayList<>();
        ProxyFleet planned = new FleetView(fleet); // each count once per pass, not once per object
        Map<String, String> rejections = planned.rejections(d.version());
        List<ObjectStatus> statuses = d.translation().statuses();
        int unchanged = 0;
        int looked = 0;
        for (int i = 0; i < statuses.size(); i++) {
            ObjectStatus s = statuses.get(i);
            Since was = since.get(s.source().uid());
            Since from = was != null && was.generation() == s.source().generation()
                    ? was : new Since(s.source().generation(), d.version());
            seen.put(s.source().uid(), from);
            String key = s.source().display();
            Slot slot = objects.get(key);
            if (slot == null || !(slot.cached instanceof CustomResource<?, ?> cr)) {
                continue;
            }
            slot.status = i;
            slot.since = from.version();
            bySince.computeIfAbsent(from.version(), v -> new ArrayList<>()).add(i);
            looked++;
            if (judge(key, cr, s, from.version(), planned, rejections, now, todo)) {
                unchanged++;
            } else {
                unsettled.put(key, i);
            }
        }
        since.clear();
        since.putAll(seen);
        shown.retainAll(objects.keySet());
        Map<Long, FleetInputs> fleetBySince = new HashMap<>();
        for (Long v : bySince.keySet()) {
            fleetBySince.put(v, FleetInputs.of(planned, v));
        }
        basis = new Basis(lists, objects, statuses, bySince, fleetBySince, planned.synced(), planned.connected() == 0,
                Map.copyOf(rejections), unsettled);
        todo.sort(Comparator.comparing((Pending p) -> !p.generationChanged()));
        return new Plan(todo, looked, unchanged, false);
    }

    /** The narrowed plan, or null when one cannot be made (what it cannot see did not hold still): plan in full. */
    private Plan narrowed(StatusUpdater.Desired d, Set<Integer> touched, ProxyFleet fleet, long now) {
        Basis b = basis;
        List<ObjectStatus> statuses = d.translation().statuses();
        if (statuses.size() != b.statuses.size()) {
            return null;
        }
        if (touched == null) { // a rebuild: what it changed is what differs from the statuses last planned
            touched = differing(b.statuses, statuses);
            if (touched == null) {
                return null;
            }
        }
        // the objects the cache holds anew; the same names at the same places, or a full plan
        List<List<? extends HasMetadata>> lists = kinds(d.state());
        Map<String, HasMetadata> renewed = new HashMap<>();
        for (int k = 0; k < lists.size(); k++) {
            List<? extends HasMetadata> list = lists.get(k);
            List<? extends HasMetadata> before = b.lists.get(k);
            if (list == before) {
                continue;
            }
            if (list.size() != before.size()) {
                return null;
            }
            for (int i = 0; i < list.size(); i++) {
                HasMetadata o = list.get(i);
                HasMetadata was = before.get(i);
                if (o != was) {
                    String key = key(o);
                    if (!key.equals(key(was))) {
                        return null;
                    }
                    renewed.put(key, o);
                }
            }
        }
        ProxyFleet planned = new FleetView(fleet);
        if (planned.synced() != b.synced || (planned.connected() == 0) != b.noneConnected) {
            return null;
        }
        Map<String, String> rejections = planned.rejections(d.version());
        if (!rejections.equals(b.rejections)) {
            return null;
        }
        Set<Integer> plan = new TreeSet<>(touched); // in status order, as a full plan writes them
        plan.addAll(b.unsettled.values());
        Map<Long, FleetInputs> moved = new HashMap<>();
        for (Map.Entry<Long, FleetInputs> e : b.fleetBySince.entrySet()) {
            FleetInputs inputs = FleetInputs.of(planned, e.getKey());
            if (!inputs.equals(e.getValue())) {
                moved.put(e.getKey(), inputs);
                plan.addAll(b.bySince.get(e.getKey()));
            }
        }
        for (String key : renewed.keySet()) {
            Slot slot = b.objects.get(key);
            if (slot == null) {
                return null;
            }
            if (slot.status >= 0) {
                plan.add(slot.status);
            }
        }
        for (java.util.Iterator<Integer> it = plan.iterator(); it.hasNext(); ) {
            int i = it.next();
            if (i < 0 || i >= statuses.size()) {
                return null;
            }
            Slot slot = b.objects.get(statuses.get(i).source().display());
            if (slot == null) {
                it.remove(); // not one of Gatehouse's own objects (an Ingress's status): a full plan passes over it too
            } else if (slot.status != i) {
                return null; // another object at this index
            }
        }
        // from here on, the plan is made: the basis moves to d
        for (Map.Entry<String, HasMetadata> e : renewed.entrySet()) {
            b.objects.get(e.getKey()).cached = e.getValue();
        }
        b.fleetBySince.putAll(moved);
        b.lists = lists;
        b.statuses = statuses;
        for (int i : plan) { // a new generation (a rebuild's edit) is first held by this version, as a full plan finds
            ObjectStatus s = statuses.get(i);
            Since was = since.get(s.source().uid());
            if (was == null || was.generation() != s.source().generation()) {
                Slot slot = b.objects.get(s.source().display());
                since.put(s.source().uid(), new Since(s.source().generation(), d.version()));
                b.bySince.get(slot.since).remove(Integer.valueOf(i));
                slot.since = d.version();
                b.bySince.computeIfAbsent(d.version(), v -> new ArrayList<>()).add(i);
                b.fleetBySince.putIfAbsent(d.version(), FleetInputs.of(planned, d.version()));
            }
        }
        Map<String, Integer> unsettled = new HashMap<>();
        List<Pending> todo = new ArrayList<>();
        int unchanged = 0;
        int looked = 0;
        for (int i : plan) {
            ObjectStatus s = statuses.get(i);
            String key = s.source().display();
            if (!(b.objects.get(key).cached instanceof CustomResource<?, ?> cr)) {
                continue;
            }
            looked++;
            if (judge(key, cr, s, since.get(s.source().uid()).version(), planned, rejections, now, todo)) {
                unchanged++;
            } else {
                unsettled.put(key, i);
            }
        }
        b.unsettled = unsettled;
        todo.sort(Comparator.comparing((Pending p) -> !p.generationChanged()));
        return new Plan(todo, looked, unchanged, true);
    }

    /**
     * Judges one object: true when it shows what it should (recorded as such), false when it is to
     * be written (added to {@code todo}) or its last write failed and is backing off.
     */
    private boolean judge(String key, CustomResource cr, ObjectStatus s, long from, ProxyFleet planned,
                          Map<String, String> rejections, long now, List<Pending> todo) {
        if (shown.backingOff(key, now)) {
            return false;
        }
        StatusShown.Judged inputs = StatusShown.Judged.of(s, shown.base(key, cr), from, planned, rejections);
        if (shown.unchangedBefore(key, inputs) || wanted(key, cr, s, from, planned, rejections) == null) {
            shown.unchanged(key, inputs);
            return true;
        }
        shown.differs(key);
        Long generation = cr.getMetadata().getGeneration();
        Condition accepted = StatusWriter.shown(cr, StatusCondition.ACCEPTED);
        todo.add(new Pending(key, cr, s, accepted == null
                || !Objects.equals(accepted.getObservedGeneration(), generation == null ? 0L : generation)));
        return false;
    }

    /**
     * The conditions to write on {@code key} now, or null when it shows them already.
     *
     * @param from the first version that held the object's generation
     */
    List<StatusCondition> wanted(String key, CustomResource cached, ObjectStatus s, long from, ProxyFleet f,
                                 Map<String, String> rejections) {
        CustomResource base = shown.base(key, cached);
        List<StatusCondition> desired = new ArrayList<>(s.conditions());
        desired.add(StatusWriter.programmed(s, from, f, rejections, StatusWriter.shown(base, StatusCondition.PROGRAMMED),
                base.getMetadata().getGeneration()));
        return StatusWriter.wanted(base, desired, s, "") == null ? null : desired;
    }
}
