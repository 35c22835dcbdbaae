package dev.gatehouse.bench.scale.standin;

import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One watch, as the Fabric8 client opens it: a WebSocket on the list URL with {@code watch=true}
 * (its informers fall back to a chunked HTTP watch only when the upgrade fails), one text message
 * per event, {@code {"type":"ADDED|MODIFIED|DELETED","object":{...}}}. Events offered before the
 * WebSocket is open are held and sent on open, in order. An object that stops matching the
 * selectors is sent as DELETED, one that starts matching as ADDED, as the API server does.
 */
final class Watch extends WebSocketListener {
    private final Store store;
    private final String resource;
    private final String namespace;
    private final Selector labels;
    private final Selector fields;
    private final Object sendLock = new Object();
    private List<String> pending = new ArrayList<>();
    private WebSocket socket;
    private boolean closeOnOpen;

    Watch(Store store, String resource, String namespace, Selector labels, Selector fields) {
        this.store = requireNonNull(store, "store");
        this.resource = requireNonNull(resource, "resource");
        this.namespace = namespace;
        this.labels = requireNonNull(labels, "labels");
        this.fields = requireNonNull(fields, "fields");
    }

    /**
     * A watch opened at a resourceVersion older than the history: one ERROR event (410 Gone,
     * reason Expired), then the socket closes; the client's informer lists again.
     */
    static Watch gone(Store store, String resource, long from) {
        Watch w = new Watch(store, resource, null, Selector.ALL, Selector.ALL);
        w.pending.add("{\"type\":\"ERROR\",\"object\":" + StandInDispatcher.status(410, "Expired",
                "too old resource version: " + from + " (the stand-in keeps the last " + store.historySize() + " writes)") + "}");
        w.closeOnOpen = true;
        return w;
    }

    String resource() {
        return resource;
    }

    private boolean matches(Store.Obj o) {
        return o != null && (namespace == null || namespace.equals(o.namespace())) && labels.matches(o.node()) && fields.matches(o.node());
    }

    /** Called under the store's lock, in resourceVersion order. */
    void offer(Store.Event e) {
        if (!resource.equals(e.resource())) {
            return;
        }
        boolean before = matches(e.before());
        boolean after = matches(e.after());
        if (before && after) {
            send("MODIFIED", e.after().json());
        } else if (after) {
            send("ADDED", e.after().json());
        } else if (before) {
            // the object's last state, at the event's resourceVersion as the API server sends it
            send("DELETED", e.after() != null ? e.after().json() : deleted(e));
        }
    }

    private static String deleted(Store.Event e) {
        tools.jackson.databind.node.ObjectNode copy = e.before().copy();
        return Store.Obj.of(copy, e.resourceVersion()).json();
    }

    private void send(String type, String objectJson) {
        String message = "{\"type\":\"" + type + "\",\"object\":" + objectJson + "}";
        synchronized (sendLock) {
            if (socket == null) {
                pending.add(message);
                return;
            }
        }
        socket.send(message);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
        synchronized (sendLock) {
            for (String m : pending) {
                webSocket.send(m);
            }
            pending = null;
            socket = webSocket;
        }
        if (closeOnOpen) { // a gone watch: its one ERROR event is sent
            webSocket.close(1000, "resource version expired");
        }
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
        store.close(this);
        webSocket.close(code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
        store.close(this);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
        store.close(this);
    }
}
