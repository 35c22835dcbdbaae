package dev.gatehouse.proxy;

import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One proxy and the backends behind it, per test (as e2e's {@code OneProxyE2E} is for e2e): the
 * test starts the proxy into {@link #proxy} and each backend through {@link #stopAfter}; after the
 * test (after its own {@code @AfterEach}) the proxy is closed first, so what it has queued is
 * written and no request is under way, then the backends, last started first. A test that closes
 * the proxy itself sets {@link #proxy} to null.
 */
abstract class OneProxy {
    ProxyServer proxy;
    private final List<AutoCloseable> backends = new ArrayList<>();

    /** {@code backend}, stopped after the test, once the proxy is. */
    <B extends AutoCloseable> B stopAfter(B backend) {
        backends.add(backend);
        return backend;
    }

    /** A {@link RawBackend} (the exact bytes it reads, answers of the test's making), stopped after the test. */
    RawBackend rawBackend() throws IOException {
        return stopAfter(new RawBackend());
    }

    /**
     * Applies snapshot 1 to the proxy: route {@code default/r}, every path and kept as sent, to
     * service {@code default/s} over upstream {@code default/u} of {@code ports}; nothing refused.
     */
    void routeEverythingTo(int... ports) {
        Upstream u = upstream("default/u", ports);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", u.id())),
                List.of(route("default/r", "default/s").paths("/").stripPath(false).build()), List.of(u), List.of()))).isEmpty();
    }

    @AfterEach
    void stopProxyThenBackends() throws Exception {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        Collections.reverse(backends);
        for (AutoCloseable b : backends) {
            b.close();
        }
        backends.clear();
    }
}
