package dev.gatehouse.app;

import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LocalRuntime#start} starts the proxy on a thread of its own while it opens the channel and
 * reads the directory. When either side fails, the start fails with that side's message and leaves
 * nothing running: no event loop, channel, poller or access-log thread of the attempt outlives it.
 */
class LocalRuntimeStartTest {
    private static final Duration THREADS_END = Duration.ofSeconds(20);

    @Test
    void aStatusPortInUseFailsTheStartAndStopsWhatStarted(@TempDir Path dir) throws Exception {
        Set<Thread> before = gatehouseThreads();
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0, "replica-1");
             ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            StartupTest.writeSeed(dir, backend.port(), backend.port());
            assertThatThrownBy(() -> LocalRuntime.start(dir, new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(1)),
                    List.of("127.0.0.1"), holder.getLocalPort(), AccessLogDestination.OFF))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + holder.getLocalPort() + " (status port)");
        }
        assertNoThreadOutlives(before);
    }

    /** The directory is read while the proxy is still starting: the proxy is closed once it has started. */
    @Test
    void anUnreadableDirectoryFailsTheStartAndStopsTheProxyStartedMeanwhile(@TempDir Path tmp) throws Exception {
        Set<Thread> before = gatehouseThreads();
        Path missing = tmp.resolve("no-such-dir");
        assertThatThrownBy(() -> LocalRuntime.start(missing, new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(1)),
                List.of("127.0.0.1"), 0, AccessLogDestination.OFF))
                .isInstanceOf(IOException.class).hasMessageContaining("no-such-dir");
        assertNoThreadOutlives(before);
    }

    private static Set<Thread> gatehouseThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("gatehouse-"))
                .collect(Collectors.toSet());
    }

    /** Every gatehouse- thread started since {@code before} ends (each is joined, up to a bound in all). */
    private static void assertNoThreadOutlives(Set<Thread> before) throws InterruptedException {
        long deadline = System.nanoTime() + THREADS_END.toNanos();
        for (Thread t : gatehouseThreads()) {
            if (!before.contains(t)) {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        }
        Set<Thread> left = gatehouseThreads();
        left.removeAll(before);
        assertThat(left).extracting(Thread::getName).as("threads of the failed start still running").isEmpty();
    }
}
