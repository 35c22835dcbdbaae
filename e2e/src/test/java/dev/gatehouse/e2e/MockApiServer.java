package dev.gatehouse.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The Fabric8 mock API server in CRUD mode, standing in for a cluster, with its clients.
 * Each controller gets a client of its own (as each controller process has one); all are closed
 * before the server. The server's own shutdown (Vert.x 5's graceful close, awaited for only
 * 10 s) sometimes times out on a watch connection of a controller stopped mid-test: that is the
 * test double's teardown, so it is logged rather than failing the test.
 */
final class MockApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MockApiServer.class);
    private final KubernetesMockServer server;
    private final List<KubernetesClient> clients = new ArrayList<>();

    MockApiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
    }

    KubernetesClient newClient() {
        KubernetesClient c = server.createClient();
        clients.add(c);
        return c;
    }

    /**
     * Every request the server received since the previous call, as {@code METHOD path}, in order
     * (drains the server's own record of them).
     */
    List<String> drainRequests() throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (var r = server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS); r != null;
             r = server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS)) {
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
    }
}
