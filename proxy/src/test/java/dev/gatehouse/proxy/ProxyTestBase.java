package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A proxy and the backends a test starts, all stopped after each test (proxy first). */
abstract class ProxyTestBase {
    protected final List<AutoCloseable> closeables = new ArrayList<>();
    protected ProxyServer proxy;

    @AfterEach
    void stopProxyAndBackends() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    /** A backend named {@code name} (it answers with header x-backend), stopped after the test. */
    protected Backend backend(String name) throws IOException {
        Backend b = new Backend(name);
        closeables.add(b);
        return b;
    }
}
