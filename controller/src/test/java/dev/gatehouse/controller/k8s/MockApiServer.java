package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * The Fabric8 mock API server in CRUD mode, standing in for a cluster, with its clients: the one
 * every test of the controller and of e2e runs on (the controller's tests through
 * {@link MockApiServerExtension}). Each controller gets a client of its own (as each controller
 * process has one); all are closed before the server. A watch's close and failure callbacks run
 * off the server's event loop ({@link OffLoopCloseDispatcher}). The server's own shutdown (Vert.x
 * 5's close, awaited for only 10 s) is the test double's teardown: if it times out, that is
 * logged ({@code event=test.mock_server_close_timeout}) rather than failing the test.
 */
public final class MockApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MockApiServer.class);
    /** How long a client of the server waits for an answer ({@link #newClient}; a child JVM's as KUBERNETES_REQUEST_TIMEOUT). */
    public static final String REQUEST_TIMEOUT_MILLIS = "60000";
    private final KubernetesMockServer server;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private final ExecutorService closer = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mock-watch-close");
        t.setDaemon(true);
        return t;
    });

    public MockApiServer() {
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
                new OffLoopCloseDispatcher(closer), false);
        server.init();
    }

    /** The mock server itself: its record of requests, clients of a test's own making (which the test closes). */
    public KubernetesMockServer server() {
        return server;
    }

    /**
     * A client of the server, closed with it. Its requests wait up to 60 s for an answer (the
     * client's default is 10 s): on a loaded machine the mock's first answers, while it loads and
     * compiles its classes, took longer (a drill's first create timed out at load 42).
     */
    public KubernetesClient newClient() {
        KubernetesClient c = server.createClient(b -> b.editOrNewConfig()
                .withRequestTimeout(Integer.parseInt(REQUEST_TIMEOUT_MILLIS)).endConfig());
        clients.add(c);
        return c;
    }

    /**
     * Every request the server received since the previous call, as {@code METHOD path}, in order
     * (drains the server's own record of them).
     */
    public List<String> drainRequests() throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (var r = server.takeRequest(1, TimeUnit.MILLISECONDS); r != null; r = server.takeRequest(1, TimeUnit.MILLISECONDS)) {
            out.add(r.getMethod() + " " + r.getPath());
        }
        return out;
    }

    @Override
    public void close() {
        clients.forEach(KubernetesClient::close);
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            LOG.warn("event=test.mock_server_close_timeout error=\"{}\"", e.getMessage());
        }
        closer.shutdown();
    }

    /**
     * Test environment, not product. The mock server's watch listener (Fabric8 8.0.0
     * {@code WatchEventsListener.onClosed}), when a watch closes, waits up to a minute for its
     * sender thread to stop, on the server's event loop; that sender may itself be waiting (up to
     * 30 s per message, {@code VertxMockWebSocket.awaitWrite}) for a write the blocked event loop
     * would do. While it waits, every request on that loop stalls: a controller stopped mid-test
     * stalled the others' lease renewals past a 30 s bound, and the server's 10 s close timed out
     * ("Unable to close MockWebServer"), in clean-clone runs. A real API server does not. Here a
     * watch's close and failure callbacks run on a thread of their own, so the event loop never
     * waits on them; every other callback is passed through unchanged, on the loop.
     *
     * <p>Off the loop, the watch is first taken out of the dispatcher's set of watches, under the
     * dispatcher's write lock (which every create, update, patch and delete holds while it sends
     * its events): the listener's own close shuts its send executor down before it leaves that
     * set, and a write that met it in between threw {@code RejectedExecutionException} on the loop
     * and was never answered. A controller's stop (its informers' watches close, then its replica
     * Lease is deleted) met that window and waited out the client's 60 s request timeout
     * ({@code event=replica.report_delete_failed}; StatusPacingMockServerTest, ReplicaProgrammedE2ETest).
     * The set and the lock are private fields of Fabric8 8.0.0's {@code KubernetesCrudDispatcher},
     * read once here: a version without them fails every test at once, naming them.
     */
    static final class OffLoopCloseDispatcher extends KubernetesCrudDispatcher {
        private final ExecutorService closer;
        private final Set<?> watches;
        private final Lock writes;

        OffLoopCloseDispatcher(ExecutorService closer) {
            this.closer = closer;
            this.watches = (Set<?>) field("watchEventListeners");
            this.writes = ((ReadWriteLock) field("lock")).writeLock();
        }

        private Object field(String name) {
            try {
                Field f = KubernetesCrudDispatcher.class.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(this);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("KubernetesCrudDispatcher." + name + " is not there (a Fabric8 other than "
                        + "8.0.0?): MockApiServer.OffLoopCloseDispatcher needs it to take a closed watch out before its close", e);
            }
        }

        /** Takes {@code watch} out of the set events are sent to, once no write is sending any. */
        void forget(WebSocketListener watch) {
            writes.lock();
            try {
                watches.remove(watch);
            } finally {
                writes.unlock();
            }
        }

        @Override
        public MockResponse handleWatch(String path) {
            MockResponse response = super.handleWatch(path);
            WebSocketListener watch = response.getWebSocketListener();
            return watch == null ? response : response.withWebSocketUpgrade(new OffLoopClose(watch, this, closer));
        }
    }

    private static final class OffLoopClose extends WebSocketListener {
        private final WebSocketListener watch;
        private final OffLoopCloseDispatcher dispatcher;
        private final ExecutorService closer;

        OffLoopClose(WebSocketListener watch, OffLoopCloseDispatcher dispatcher, ExecutorService closer) {
            this.watch = watch;
            this.dispatcher = dispatcher;
            this.closer = closer;
        }

        @Override
        public void onBeforeAccept(WebSocket ws, Response response) {
            watch.onBeforeAccept(ws, response);
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            watch.onOpen(ws, response);
        }

        @Override
        public void onMessage(WebSocket ws, String text) {
            watch.onMessage(ws, text);
        }

        @Override
        public void onMessage(WebSocket ws, ByteString bytes) {
            watch.onMessage(ws, bytes);
        }

        @Override
        public void onMessage(WebSocket ws, byte[] bytes) {
            watch.onMessage(ws, bytes);
        }

        @Override
        public void onPing(WebSocket ws, byte[] bytes) {
            watch.onPing(ws, bytes);
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            watch.onClosing(ws, code, reason);
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            offLoop("close", () -> watch.onClosed(ws, code, reason));
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, Response response) {
            offLoop("failure", () -> watch.onFailure(ws, t, response));
        }

        private void offLoop(String what, Runnable callback) {
            if (closer.isShutdown()) { // the server is closed or closing: nothing waits on this watch any more
                return;
            }
            closer.execute(() -> {
                long start = System.nanoTime();
                try {
                    dispatcher.forget(watch); // before the watch's own close shuts its sender down
                    callback.run();
                } catch (RuntimeException e) { // the server may be closing meanwhile: its teardown, not the test's
                    LOG.debug("event=test.mock_watch_{}_error error=\"{}\"", what, e.toString());
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (ms > 1_000) {
                    LOG.info("event=test.mock_watch_{}_slow ms={} (off the event loop: requests went on meanwhile)", what, ms);
                }
            });
        }
    }
}
