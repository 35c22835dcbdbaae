package dev.gatehouse.app;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM / SIGINT (Ctrl-C) handling. Open it first in a try-with-resources, then what it
 * guards: on a signal {@link #await()} returns, the resources close in reverse order (the
 * proxy draining: readiness off at once, the port open for the drain delay, in-flight requests
 * finishing within the drain timeout), and only then does the JVM exit, with 143 (128 + SIGTERM)
 * as a JVM ended by a signal does.
 *
 * <pre>{@code
 * try (Shutdown shutdown = Shutdown.register(options.shutdownBudget()); LocalRuntime runtime = LocalRuntime.start(...)) {
 *     shutdown.await();
 * }
 * }</pre>
 *
 * <p>Logging is asynchronous (logback's AsyncAppender, see {@link LogSetup}): {@link #flushLogs()}
 * writes out what is queued, and runs last, after a signal's resources closed and before a
 * normal exit.
 */
final class Shutdown implements AutoCloseable {
    /** What a close may take beyond the proxy's drain: channel, status server, event loops, logs. */
    static final Duration TEARDOWN_MARGIN = Duration.ofSeconds(30);
    /** The budget of {@link #register()}, for commands without a drain (the controller). */
    private static final Duration DEFAULT_BUDGET = Duration.ofSeconds(120);
    private final CountDownLatch signalled = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile String failure;
    private final List<Runnable> onSignal = new CopyOnWriteArrayList<>();

    private Shutdown() {
    }

    /** With a budget of 120 s. */
    static Shutdown register() {
        return register(DEFAULT_BUDGET);
    }

    /**
     * @param budget how long the JVM waits, after a signal, for the resources to close before it
     *               exits anyway (a close that hangs must not keep it alive forever); for a proxy,
     *               its drain delay + drain timeout + {@link #TEARDOWN_MARGIN}
     */
    static Shutdown register(Duration budget) {
        Shutdown s = new Shutdown();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.runOnSignal();
            s.signalled.countDown();
            try {
                s.closed.await(budget.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            flushLogs();
        }, "gatehouse-shutdown"));
        return s;
    }

    /**
     * Stops logback, which writes out the lines still queued (up to the appender's
     * maxFlushTime); lines logged after it are lost, so call it last.
     */
    static void flushLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            logback.stop();
        }
    }

    /**
     * Runs {@code action} on the signal's own thread the moment a signal arrives, before
     * {@link #await()} returns and anything closes (at once when one already did): for what must not
     * wait for the close to reach it, such as the proxy's readiness turning 503. It must not block.
     */
    void onSignal(Runnable action) {
        onSignal.add(action);
        if (signalled.getCount() == 0 && failure == null) {
            action.run();
        }
    }

    private void runOnSignal() {
        for (Runnable action : onSignal) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(Shutdown.class).warn("event=shutdown.on-signal-failed error=\"{}\"", e.toString());
            }
        }
    }

    /** Blocks until a termination signal arrives, or {@link #fail} is called. */
    void await() throws InterruptedException {
        signalled.await();
    }

    /**
     * Ends {@link #await()} as a signal does, for a fault the command cannot serve through (the
     * proxy port cannot open); the command then closes its resources and exits non-zero.
     */
    void fail(String reason) {
        failure = reason;
        signalled.countDown();
    }

    /** The reason given to {@link #fail}; null when {@link #await()} ended by a signal (or has not). */
    String failure() {
        return failure;
    }

    @Override
    public void close() {
        closed.countDown();
    }
}
