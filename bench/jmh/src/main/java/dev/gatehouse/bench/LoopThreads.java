package dev.gatehouse.bench;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads made the kind of thread the proxy's event loops are (Netty's
 * {@code FastThreadLocalThread}), so a benchmark takes the path an event loop takes: per-loop
 * balancer state, Netty's fast thread locals. Named by {@code -Djmh.executor.class}; JMH calls the
 * {@code (int, String)} constructor.
 */
public final class LoopThreads extends ThreadPoolExecutor {
    public LoopThreads(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), new DefaultThreadFactory(prefix, true));
    }
}
