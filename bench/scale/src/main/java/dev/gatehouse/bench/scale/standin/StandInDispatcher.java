package dev.gatehouse.bench.scale.standin;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatch;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An indexed Kubernetes API stand-in for the scale bench, plugged into the Fabric8 mock server's
 * HTTP and WebSocket layer (a {@link Dispatcher}), serving what the controller, its leader
 * election and the harness use, over real HTTP to the real Fabric8 client:
 * <ul>
 *   <li>GET of one object, list (label and field selectors of equality terms, the list's
 *       resourceVersion), watch ({@code watch=true}: a WebSocket, from a resourceVersion or from now);</li>
 *   <li>POST (create; 409 when it exists), PUT (replace; 409 when the body's resourceVersion is
 *       not the current one), PATCH (merge patch, strategic merge patch handled as a merge patch,
 *       JSON patch), DELETE;</li>
 *   <li>the status subresource ({@code .../status}): a write there changes the status only, a
 *       write of the object keeps the stored status; the generation moves when anything but
 *       metadata and status changes.</li>
 * </ul>
 * No admission, no defaulting, no finalizers, no pagination ({@code limit} is ignored: one page),
 * no discovery: the bench's clients use typed resources, which need none of them.
 */
public final class StandInDispatcher extends Dispatcher {
    private final Store store;
    /** Requests answered, writes (POST, PUT, PATCH, DELETE) and status writes, by the stand-in's count. */
    final AtomicLong requests = new AtomicLong();

    public StandInDispatcher() {
        this(Store.HISTORY);
    }

    /** With a history of {@code historySize} writes for watches opened at an older resourceVersion. */
    StandInDispatcher(int historySize) {
        this.store = new Store(historySize);
    }

    /** A target parsed from the path: {@code /api/v1/...} or {@code /apis/GROUP/VERSION/...}. */
    private record Target(String resource, String namespace, String name, boolean status) {
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        requests.incrementAndGet();
        String uri = request.getPath();
        int q = uri.indexOf('?');
        Map<String, String> query = query(q < 0 ? "" : uri.substring(q + 1));
        Target t = target(q < 0 ? uri : uri.substring(0, q));
        if (t == null) {
            return json(404, status(404, "NotFound", "the stand-in serves /api/v1/... and /apis/GROUP/VERSION/... only: " + uri));
        }
        try {
            return switch (request.getMethod()) {
                case "GET" -> t.name() != null ? get(t) : "true".equals(query.get("watch")) ? watch(t, query) : list(t, query);
                case "POST" -> create(t, body(request));
                case "PUT" -> update(t, body(request), null);
                case "PATCH" -> update(t, null, patcher(request));
                case "DELETE" -> delete(t);
                default -> json(405, status(405, "MethodNotAllowed", request.getMethod() + " " + uri));
            };
        } catch (IllegalArgumentException | JacksonException e) {
            return json(400, status(400, "BadRequest", request.getMethod() + " " + uri + ": " + e.getMessage()));
        }
    }

    private static Target target(String path) {
        String[] s = path.split("/");
        // "", "api", "v1", rest... or "", "apis", group, version, rest...
        int rest;
        String gv;
        if (s.length >= 4 && "api".equals(s[1])) {
            gv = "/" + s[2];
            rest = 3;
        } else if (s.length >= 5 && "apis".equals(s[1])) {
            gv = s[2] + "/" + s[3];
            rest = 4;
        } else {
            return null;
        }
        String namespace = null;
        if ("namespaces".equals(s[rest]) && s.length >= rest + 3) {
            namespace = s[rest + 1];
            rest += 2;
        }
        String plural = s[rest];
        String name = s.length > rest + 1 ? s[rest + 1] : null;
        boolean status = s.length > rest + 2 && "status".equals(s[rest + 2]);
        if (s.length > rest + 3 || (s.length == rest + 3 && !status)) {
            return null;
        }
        return new Target(gv + "/" + plural, namespace, name, status);
    }

    private static Map<String, String> query(String q) {
        Map<String, String> out = new HashMap<>();
        for (String p : q.split("&")) {
            int eq = p.indexOf('=');
            if (eq > 0) {
                out.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return out;
    }

    private MockResponse get(Target t) {
        Store.Obj o = store.get(t.resource(), ns(t), t.name());
        return o == null ? notFound(t) : json(200, o.json());
    }

    private MockResponse list(Target t, Map<String, String> query) {
        Selector labels = Selector.parse(query.get("labelSelector"), false);
        Selector fields = Selector.parse(query.get("fieldSelector"), true);
        long[] version = new long[1];
        List<Store.Obj> objects = store.list(t.resource(), t.namespace(), version);
        StringBuilder b = new StringBuilder(64 + objects.size() * 512)
                .append("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"").append(version[0]).append("\"},\"items\":[");
        boolean first = true;
        for (Store.Obj o : objects) {
            if (labels.matches(o.node()) && fields.matches(o.node())) {
                b.append(first ? "" : ",").append(o.json());
                first = false;
            }
        }
        return json(200, b.append("]}").toString());
    }

    private MockResponse watch(Target t, Map<String, String> query) {
        Watch w = new Watch(store, t.resource(), t.namespace(), Selector.parse(query.get("labelSelector"), false),
                Selector.parse(query.get("fieldSelector"), true));
        String rv = query.get("resourceVersion");
        Long from = rv == null || rv.isEmpty() ? null : Long.parseLong(rv);
        if (!store.open(w, from)) {
            return new MockResponse().withWebSocketUpgrade(Watch.gone(store, t.resource(), from));
        }
        return new MockResponse().withWebSocketUpgrade(w);
    }

    private MockResponse create(Target t, ObjectNode body) {
        if (t.name() != null) {
            return json(405, status(405, "MethodNotAllowed", "POST to an object's path: " + t.resource() + " " + t.name()));
        }
        ObjectNode meta = body.withObjectProperty("metadata");
        if (meta.path("name").asString("").isEmpty()) {
            String prefix = meta.path("generateName").asString("");
            if (prefix.isEmpty()) {
                return json(422, status(422, "Invalid", "metadata.name: required (or metadata.generateName)"));
            }
            meta.put("name", prefix + UUID.randomUUID().toString().substring(0, 5));
        }
        String pathNs = ns(t);
        if (!meta.path("namespace").asString(pathNs).equals(pathNs)) {
            return json(400, status(400, "BadRequest", "metadata.namespace: " + meta.path("namespace").asString()
                    + " (expected: the namespace of the URL, " + pathNs + ")"));
        }
        if (!pathNs.isEmpty()) {
            meta.put("namespace", pathNs);
        }
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        meta.put("generation", 1);
        Store.Obj stored = store.put(t.resource(), null, body);
        return stored == null
                ? json(409, status(409, "AlreadyExists", t.resource() + " " + pathNs + "/" + meta.path("name").asString() + " already exists"))
                : json(201, stored.json());
    }

    /** A patch turns the current state into the new one. */
    private interface Patcher {
        ObjectNode apply(ObjectNode current);
    }

    private static Patcher patcher(RecordedRequest request) {
        String type = String.valueOf(request.getHeader("Content-Type"));
        JsonNode patch = Store.JSON.readTree(request.getUtf8Body());
        if (type.startsWith("application/json-patch+json")) {
            return current -> (ObjectNode) JsonPatch.apply(patch, current);
        }
        if (type.startsWith("application/merge-patch+json") || type.startsWith("application/strategic-merge-patch+json")) {
            return current -> (ObjectNode) merge(current, patch);
        }
        throw new IllegalArgumentException("Content-Type: " + type + " (expected: application/merge-patch+json, "
                + "application/strategic-merge-patch+json or application/json-patch+json)");
    }

    /** RFC 7386 JSON merge patch. */
    static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target : Store.JSON.createObjectNode();
        for (Map.Entry<String, JsonNode> f : patch.properties()) {
            if (f.getValue().isNull()) {
                out.remove(f.getKey());
            } else {
                out.set(f.getKey(), merge(out.get(f.getKey()), f.getValue()));
            }
        }
        return out;
    }

    /**
     * PUT ({@code body}) or PATCH ({@code patcher}) of an object or its status. A body naming a
     * resourceVersion must name the current one (409 otherwise); without one the write applies
     * to whatever is current, retried if another write lands in between.
     */
    private MockResponse update(Target t, ObjectNode body, Patcher patcher) {
        if (t.name() == null) {
            return json(405, status(405, "MethodNotAllowed", "a write to a collection: " + t.resource()));
        }
        while (true) {
            Store.Obj current = store.get(t.resource(), ns(t), t.name());
            if (current == null) {
                return notFound(t);
            }
            ObjectNode wanted = patcher == null ? body.deepCopy() : patcher.apply(current.copy());
            String rv = wanted.path("metadata").path("resourceVersion").asString("");
            if (!rv.isEmpty() && !rv.equals(Long.toString(current.resourceVersion()))) {
                return json(409, status(409, "Conflict", "Operation cannot be fulfilled on " + t.resource() + " " + current.namespace()
                        + "/" + current.name() + ": the object has been modified; please apply your changes to the latest version "
                        + "(sent resourceVersion " + rv + ", current " + current.resourceVersion() + ")"));
            }
            ObjectNode next;
            if (t.status()) {
                next = current.copy();
                setOrRemove(next, "status", wanted.get("status"));
            } else {
                next = wanted;
                setOrRemove(next, "status", current.node().get("status"));
                ObjectNode meta = next.withObjectProperty("metadata");
                JsonNode old = current.node().get("metadata");
                meta.put("name", current.name());
                if (!current.namespace().isEmpty()) {
                    meta.put("namespace", current.namespace());
                }
                meta.set("uid", old.get("uid"));
                meta.set("creationTimestamp", old.get("creationTimestamp"));
                long generation = old.path("generation").asLong(1);
                meta.put("generation", specChanged(current.node(), next) ? generation + 1 : generation);
            }
            Store.Obj stored = store.put(t.resource(), current, next);
            if (stored != null) {
                return json(200, stored.json());
            }
            // another write landed between the read and this one: read again
        }
    }

    private static boolean specChanged(JsonNode before, ObjectNode after) {
        ObjectNode a = ((ObjectNode) before).deepCopy();
        ObjectNode b = after.deepCopy();
        a.remove(List.of("metadata", "status"));
        b.remove(List.of("metadata", "status"));
        return !a.equals(b);
    }

    private static void setOrRemove(ObjectNode node, String field, JsonNode value) {
        if (value == null || value.isNull()) {
            node.remove(field);
        } else {
            node.set(field, value);
        }
    }

    private MockResponse delete(Target t) {
        if (t.name() == null) {
            return json(405, status(405, "MethodNotAllowed", "DELETE of a collection: " + t.resource()));
        }
        while (true) {
            Store.Obj current = store.get(t.resource(), ns(t), t.name());
            if (current == null) {
                return notFound(t);
            }
            Store.Obj last = store.delete(t.resource(), current);
            if (last != null) {
                return json(200, last.json());
            }
        }
    }

    private static String ns(Target t) {
        return t.namespace() == null ? "" : t.namespace();
    }

    private static ObjectNode body(RecordedRequest request) {
        JsonNode n = Store.JSON.readTree(request.getUtf8Body());
        if (n == null || !n.isObject() || !n.path("metadata").isObject() && n.has("metadata")) {
            throw new IllegalArgumentException("body: expected a JSON object");
        }
        return (ObjectNode) n;
    }

    private static MockResponse notFound(Target t) {
        return json(404, status(404, "NotFound", t.resource() + " \"" + t.name() + "\" not found"
                + (t.namespace() == null ? "" : " in namespace " + t.namespace())));
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
    }

    /** A Kubernetes {@code Status} body, as the API server answers an error. */
    static String status(int code, String reason, String message) {
        ObjectNode s = Store.JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Status");
        s.putObject("metadata");
        s.put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
        return s.toString();
    }

    /** Open watches (the tests wait for an informer's). */
    public int watchCount() {
        return store.watchCount();
    }
}
