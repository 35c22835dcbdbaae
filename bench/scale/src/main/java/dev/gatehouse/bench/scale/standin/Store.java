package dev.gatehouse.bench.scale.standin;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.util.Objects.requireNonNull;

/**
 * The stand-in's objects, indexed by resource (group/version/plural, one-to-one with a kind),
 * then namespace and name: a get, create, update or delete costs one hash lookup, whatever the
 * number of objects (the Fabric8 mock server scans every object on each). Every write takes the
 * next resourceVersion of one counter, is kept in a bounded history so a watch opened at a
 * resourceVersion replays what came after it, and is sent to the open watches that match.
 *
 * <p>One lock orders every write, its history entry and its watch sends: a watch registered
 * under it sees each later write exactly once and in order. Reads take it too, to copy
 * references only; serialising a list happens outside it.
 */
final class Store {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Writes kept for watches opened at an older resourceVersion, by default; older ones get 410 Gone and relist. */
    static final int HISTORY = 50_000;
    private final int historySize;

    Store(int historySize) {
        if (historySize < 1) {
            throw new IllegalArgumentException("historySize: " + historySize + " (expected: >= 1)");
        }
        this.historySize = historySize;
    }

    /** One stored object: never mutated once stored ({@code node} is a private copy). */
    record Obj(String namespace, String name, ObjectNode node, String json, long resourceVersion) {
        static Obj of(ObjectNode node, long rv) {
            ObjectNode meta = (ObjectNode) node.get("metadata");
            meta.put("resourceVersion", Long.toString(rv));
            String ns = meta.path("namespace").asString("");
            return new Obj(ns, meta.path("name").asString(), node, JSON.writeValueAsString(node), rv);
        }

        /** A copy to change (the stored tree stays as it is). */
        ObjectNode copy() {
            return node.deepCopy();
        }
    }

    /**
     * One write as a watch sees it: the object before (null on create) and after (null on
     * delete); {@code last} is what a DELETED event carries for a delete (the last state at the
     * delete's resourceVersion), null otherwise.
     */
    record Event(String resource, Obj before, Obj after, Obj last, long resourceVersion) {
    }

    private final Object lock = new Object();
    private final Map<String, Map<String, Obj>> byResource = new HashMap<>();
    private final ArrayDeque<Event> history = new ArrayDeque<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private long resourceVersion;

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    long resourceVersion() {
        synchronized (lock) {
            return resourceVersion;
        }
    }

    Obj get(String resource, String namespace, String name) {
        synchronized (lock) {
            Map<String, Obj> objects = byResource.get(resource);
            return objects == null ? null : objects.get(key(namespace, name));
        }
    }

    /** The objects of {@code resource} in {@code namespace} (every namespace when null), and the list's resourceVersion. */
    List<Obj> list(String resource, String namespace, long[] listVersion) {
        synchronized (lock) {
            listVersion[0] = resourceVersion;
            Map<String, Obj> objects = byResource.get(resource);
            if (objects == null) {
                return List.of();
            }
            List<Obj> out = new ArrayList<>(objects.size());
            for (Obj o : objects.values()) {
                if (namespace == null || namespace.equals(o.namespace())) {
                    out.add(o);
                }
            }
            return out;
        }
    }

    /**
     * Writes {@code node} as the new state of the object it names, if the object's current state
     * is {@code expected} (null: it must not exist); returns the stored object, or null when
     * the current state is not {@code expected} (the caller answers 409 or 404).
     */
    Obj put(String resource, Obj expected, ObjectNode node) {
        requireNonNull(node, "node");
        synchronized (lock) {
            Map<String, Obj> objects = byResource.computeIfAbsent(resource, r -> new HashMap<>());
            JsonNode meta = node.get("metadata");
            String k = key(meta.path("namespace").asString(""), meta.path("name").asString());
            Obj current = objects.get(k);
            if (current != expected) {
                return null;
            }
            Obj stored = Obj.of(node, ++resourceVersion);
            objects.put(k, stored);
            record(new Event(resource, current, stored, null, stored.resourceVersion()));
            return stored;
        }
    }

    /** Removes {@code expected} if it is still the current state; returns its last state (a new resourceVersion), or null. */
    Obj delete(String resource, Obj expected) {
        synchronized (lock) {
            Map<String, Obj> objects = byResource.get(resource);
            String k = key(expected.namespace(), expected.name());
            if (objects == null || objects.get(k) != expected) {
                return null;
            }
            objects.remove(k);
            Obj last = Obj.of(expected.copy(), ++resourceVersion);
            record(new Event(resource, expected, null, last, last.resourceVersion()));
            return last;
        }
    }

    private void record(Event e) {
        history.addLast(e);
        if (history.size() > historySize) {
            history.removeFirst();
        }
        for (Watch w : watches) {
            w.offer(e);
        }
    }

    /**
     * Opens {@code watch} at {@code from}: with no resourceVersion (null or 0), every current
     * object as ADDED, then every later write; with one, every write after it (still in the
     * history) then every later one. Returns false when {@code from} is older than the history
     * (the caller answers 410 Gone, and the client lists again).
     */
    boolean open(Watch watch, Long from) {
        synchronized (lock) {
            if (from == null || from == 0) {
                Map<String, Obj> objects = byResource.getOrDefault(watch.resource(), Map.of());
                for (Obj o : objects.values()) {
                    watch.offer(new Event(watch.resource(), null, o, null, o.resourceVersion()));
                }
            } else {
                long oldest = history.isEmpty() ? resourceVersion + 1 : history.peekFirst().resourceVersion();
                if (from < oldest - 1) {
                    return false;
                }
                for (Event e : history) {
                    if (e.resourceVersion() > from) {
                        watch.offer(e);
                    }
                }
            }
            watches.add(watch);
            return true;
        }
    }

    int historySize() {
        return historySize;
    }

    void close(Watch watch) {
        watches.remove(watch);
    }

    /** Open watches (for the harness's figures and the tests). */
    int watchCount() {
        return watches.size();
    }
}
