package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one object's translation produced, kept across translations so an object whose inputs did
 * not change is not translated again ({@link IncrementalTranslator}). An entry is the object, the
 * inputs its translation read beyond it (the Service and EndpointSlices an Upstream names, the
 * Upstream a GatewayService names, the GatewayService and anonymous Consumer a route names, the
 * key Secrets of a Consumer), the output and the report as the object's own step left them.
 *
 * <p>An entry is found by the object itself, the same Java object (informer caches and the
 * manifest reader hand out a new object for every change, and the same one otherwise), and used only when every
 * input looked up again is the same object, or an equal value: the inputs are the entry's key
 * into what it depends on, looked up again through the state's indexes at each translation. A
 * changed Service thus invalidates exactly the Upstreams that name it, and no event has to be
 * routed to its dependents; a stale entry cannot be used, whatever events were missed.
 *
 * <p>One exception to "the same Java object": an object that translates as the one an entry was
 * made from ({@link Sources#sameSpec}: the same uid and generation of a Gatehouse kind, a status
 * write come back through the informer) finds that entry, which is then kept under the new object,
 * and counts as the same input in what depends on it. Without it the controller's own status
 * writes (every object's, after a start) made the next translation build every object again.
 */
final class TranslationMemo {
    /** One kind's entries by object (identity), how many were built (not reused), and its last sorted order. */
    static final class Kind {
        private final Map<HasMetadata, Entry> entries = new IdentityHashMap<>();
        /** The entries of objects with a uid, by uid: where a new object of the same spec finds its entry. */
        private final Map<String, Entry> byUid = new java.util.HashMap<>();
        private int touched;
        /** Objects translated anew (not reused) since this memo was made: what tests count. */
        int built;
        private List<? extends HasMetadata> lastInput = List.of();
        private List<? extends HasMetadata> lastSorted = List.of();
        /** {@code lastSorted.get(k) == lastInput.get(lastOrder[k])}. */
        private int[] lastOrder = new int[0];

        /** The entry of {@code object} when its inputs {@code deps} are those it was made from; else null. */
        Entry find(HasMetadata object, Object[] deps) {
            Entry e = of(object);
            if (e == null || !same(e.deps, deps)) {
                return null;
            }
            if (e.pass != pass) {
                e.pass = pass;
                touched++;
            }
            return e;
        }

        /** The entry of {@code object}, whatever inputs it was made from; null when none is kept. */
        Entry of(HasMetadata object) {
            Entry e = entries.get(object);
            if (e != null) {
                return e;
            }
            String uid = object.getMetadata() == null ? null : object.getMetadata().getUid();
            e = uid == null ? null : byUid.get(uid);
            if (e == null || !Sources.sameSpec(e.object, object)) {
                return null;
            }
            // the same spec in a new Java object (a status write): the entry now stands for it
            entries.remove(e.object);
            e.object = object;
            entries.put(object, e);
            return e;
        }

        /** Records what {@code object}'s translation from {@code deps} produced. */
        Entry put(HasMetadata object, Object[] deps, Object output, ObjectReport report, Object extra) {
            Entry e = new Entry(object, deps, output, report.keep(), extra);
            e.pass = pass;
            Entry previous = entries.put(object, e);
            if (previous == null || previous.pass != pass) {
                touched++;
            }
            String uid = object.getMetadata() == null ? null : object.getMetadata().getUid();
            if (uid != null) {
                byUid.put(uid, e);
            }
            built++;
            return e;
        }

        /**
         * {@code objects} sorted by {@code order}: the last sorted list again when {@code objects}
         * holds the same objects in the same order as last time (an informer lists its cache in a
         * stable order), else sorted anew.
         */
        @SuppressWarnings("unchecked")
        <T extends HasMetadata> List<T> sorted(List<T> objects, Comparator<? super T> order) {
            if (objects.size() == lastInput.size()) {
                boolean same = true;
                boolean identical = true;
                for (int i = 0; i < objects.size() && same; i++) {
                    HasMetadata o = objects.get(i);
                    HasMetadata was = lastInput.get(i);
                    identical &= o == was;
                    same = o == was || Sources.sameSpec(was, o);
                }
                if (identical) {
                    return (List<T>) lastSorted;
                }
                if (same) { // the same specs in the same places: the same order, of the new objects
                    List<T> copy = new ArrayList<>(objects.size());
                    for (int i : lastOrder) {
                        copy.add(objects.get(i));
                    }
                    lastInput = objects;
                    lastSorted = Collections.unmodifiableList(copy);
                    return (List<T>) lastSorted;
                }
            }
            Integer[] at = new Integer[objects.size()];
            for (int i = 0; i < at.length; i++) {
                at[i] = i;
            }
            java.util.Arrays.sort(at, (a, b) -> order.compare(objects.get(a), objects.get(b))); // stable, as List.sort
            List<T> copy = new ArrayList<>(at.length);
            int[] positions = new int[at.length];
            for (int k = 0; k < at.length; k++) {
                positions[k] = at[k];
                copy.add(objects.get(at[k]));
            }
            lastInput = objects;
            lastOrder = positions;
            lastSorted = Collections.unmodifiableList(copy);
            return (List<T>) lastSorted;
        }

        private long pass;
        /** A step replayed its whole outcome this pass ({@link StepOutcome}): every entry stays. */
        private boolean keepAll;

        private void begin(long p) {
            pass = p;
            touched = 0;
            keepAll = false;
        }

        /** Every entry stays this pass: the objects are those of the pass that made them. */
        void keepAll() {
            keepAll = true;
        }

        /** Drops the entries of objects that were not in this translation's state (deleted or replaced ones). */
        private void end() {
            if (!keepAll && entries.size() > touched) {
                entries.values().removeIf(e -> {
                    if (e.pass == pass) {
                        return false;
                    }
                    String uid = e.object.getMetadata() == null ? null : e.object.getMetadata().getUid();
                    if (uid != null) {
                        byUid.remove(uid, e);
                    }
                    return true;
                });
            }
        }

        private void clear() {
            entries.clear();
            byUid.clear();
            lastOrder = new int[0];
            lastInput = List.of();
            lastSorted = List.of();
        }
    }

    /**
     * @param object the input object (entries are found by it, by identity)
     * @param deps   what its translation read beyond the object, compared by identity for API objects
     *               and by equality for values (a message, an id, a flag)
     * @param output the translated object (a snapshot record), or null when it was refused
     * @param base   its report as its own step left it; a copy goes to each translation that reuses it
     * @param extra  what else the step keeps (a route's match key, a url service's own upstream, a consumer's claims)
     */
    static final class Entry {
        final Object[] deps;
        final Object output;
        final ObjectReport base;
        final Object extra;
        /** The key of the object's report in a translation ({@link TranslationContext#reuse}). */
        final String reportKey;
        private long pass;
        /** The object it stands for (the latest of the same spec found). */
        private HasMetadata object;

        private Entry(HasMetadata object, Object[] deps, Object output, ObjectReport base, Object extra) {
            this.object = object;
            this.reportKey = TranslationContext.reportKey(object);
            this.deps = deps;
            this.output = output;
            this.base = base;
            this.extra = extra;
        }
    }

    final Kind upstreams = new Kind();
    final Kind services = new Kind();
    final Kind consumers = new Kind();
    final Kind routes = new Kind();
    /** The Consumer step's whole outcome and the lists it read ({@link ConsumerStep}); null after a clear. */
    StepOutcome consumerStep;
    /** The GatewayService step's whole outcome and what it read ({@link ServiceStep}); null after a clear. */
    ServiceStep.Outcome serviceStep;
    /** Passes that replayed {@link #serviceStep} whole: what tests count. */
    long serviceStepReplays;
    private long pass;

    /**
     * A step's whole outcome, reused when the step reads the same lists again (the same list
     * objects, or indexed lists over the same items: {@link IndexedList#sameItems}): the reports
     * as the step left them (copies: later steps and the next translation add to their own), and
     * what it put in the context.
     */
    static final class StepOutcome {
        private final List<?>[] inputs;
        private final List<String> keys;
        private final List<ObjectReport> reports;
        private final java.util.SortedMap<String, ?> accepted;
        final java.util.Set<String> refused;

        private StepOutcome(List<?>[] inputs, List<String> keys, List<ObjectReport> reports, java.util.SortedMap<String, ?> accepted,
                            java.util.Set<String> refused) {
            this.inputs = inputs;
            this.keys = keys;
            this.reports = reports;
            this.accepted = accepted;
            this.refused = refused;
        }

        /** The outcome of a step that walked {@code objects} and filled {@code accepted} and {@code refused}, reading {@code inputs}. */
        static StepOutcome of(TranslationContext ctx, List<? extends HasMetadata> objects, Map<String, ?> accepted,
                              java.util.Set<String> refused, List<?>... inputs) {
            List<String> keys = new ArrayList<>(objects.size());
            List<ObjectReport> reports = new ArrayList<>(objects.size());
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (HasMetadata o : objects) {
                String key = TranslationContext.reportKey(o);
                if (seen.add(key)) {
                    keys.add(key);
                    reports.add(ctx.reportOf(key).keep());
                }
            }
            return new StepOutcome(inputs.clone(), keys, reports, new java.util.TreeMap<>(accepted), java.util.Set.copyOf(refused));
        }

        /**
         * Whether the step would read the same lists as this outcome's: the same lists, or lists of
         * objects that translate as those ({@link Sources#sameSpec}: status writes come back), which
         * it then reads from.
         */
        boolean readFrom(List<?>... now) {
            if (now.length != inputs.length) {
                return false;
            }
            for (int i = 0; i < now.length; i++) {
                if (!IndexedList.sameItems(now[i], inputs[i]) && !sameSpecs(now[i], inputs[i])) {
                    return false;
                }
            }
            System.arraycopy(now, 0, inputs, 0, now.length);
            return true;
        }

        private static boolean sameSpecs(List<?> now, List<?> before) {
            if (now.size() != before.size()) {
                return false;
            }
            for (int i = 0; i < now.size(); i++) {
                Object a = now.get(i);
                Object b = before.get(i);
                if (a != b && !(a instanceof HasMetadata x && b instanceof HasMetadata y && Sources.sameSpec(y, x))) {
                    return false;
                }
            }
            return true;
        }

        /** Puts the outcome into {@code ctx}: each report continued from its kept copy, and the accepted objects. */
        @SuppressWarnings({"unchecked", "rawtypes"})
        void replay(TranslationContext ctx, Map into) {
            for (int i = 0; i < keys.size(); i++) {
                ctx.replay(keys.get(i), reports.get(i));
            }
            into.putAll(accepted); // a sorted map into an empty TreeMap: one linear build
        }
    }

    void begin() {
        pass++;
        for (Kind k : kinds()) {
            k.begin(pass);
        }
    }

    void end() {
        for (Kind k : kinds()) {
            k.end();
        }
    }

    /** Forgets every entry: the next translation builds everything again. */
    void clear() {
        for (Kind k : kinds()) {
            k.clear();
        }
        consumerStep = null;
        serviceStep = null;
    }

    private Kind[] kinds() {
        return new Kind[] {upstreams, services, consumers, routes};
    }

    /** Element by element: API objects by identity (or {@link Sources#sameSpec}), anything else by equality. */
    static boolean same(Object[] a, Object[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            Object x = a[i];
            Object y = b[i];
            if (x instanceof HasMetadata || y instanceof HasMetadata
                    ? x != y && !(x instanceof HasMetadata p && y instanceof HasMetadata q && Sources.sameSpec(p, q))
                    : !java.util.Objects.equals(x, y)) {
                return false;
            }
        }
        return true;
    }
}
