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
 */
final class TranslationMemo {
    /** One kind's entries by object (identity), how many were built (not reused), and its last sorted order. */
    static final class Kind {
        private final Map<HasMetadata, Entry> entries = new IdentityHashMap<>();
        private int touched;
        /** Objects translated anew (not reused) since this memo was made: what tests count. */
        int built;
        private List<? extends HasMetadata> lastInput = List.of();
        private List<? extends HasMetadata> lastSorted = List.of();

        /** The entry of {@code object} when its inputs {@code deps} are those it was made from; else null. */
        Entry find(HasMetadata object, Object[] deps) {
            Entry e = entries.get(object);
            if (e == null || !same(e.deps, deps)) {
                return null;
            }
            if (e.pass != pass) {
                e.pass = pass;
                touched++;
            }
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
                for (int i = 0; i < objects.size() && same; i++) {
                    same = objects.get(i) == lastInput.get(i);
                }
                if (same) {
                    return (List<T>) lastSorted;
                }
            }
            List<T> copy = new ArrayList<>(objects);
            copy.sort(order);
            lastInput = objects;
            lastSorted = Collections.unmodifiableList(copy);
            return (List<T>) lastSorted;
        }

        private long pass;

        private void begin(long p) {
            pass = p;
            touched = 0;
        }

        /** Drops the entries of objects that were not in this translation's state (deleted or replaced ones). */
        private void end() {
            if (entries.size() > touched) {
                entries.values().removeIf(e -> e.pass != pass);
            }
        }

        private void clear() {
            entries.clear();
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

        private Entry(HasMetadata object, Object[] deps, Object output, ObjectReport base, Object extra) {
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
    private long pass;

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
    }

    private Kind[] kinds() {
        return new Kind[] {upstreams, services, consumers, routes};
    }

    /** Element by element: API objects by identity, anything else by equality. */
    static boolean same(Object[] a, Object[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            Object x = a[i];
            Object y = b[i];
            if (x instanceof HasMetadata || y instanceof HasMetadata ? x != y : !java.util.Objects.equals(x, y)) {
                return false;
            }
        }
        return true;
    }
}
