package dev.gatehouse.app;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM / SIGINT (Ctrl-C) handling. Open it first in a try-with-resources, then what it
 * guards: on a signal {@link #await()} returns, the resources close in reverse order (the
 * proxy finishing in-flight requests within its grace), and only then does the JVM exit.
 *
 * <pre>{@code
 * try (Shutdown shutdown = Shutdown.register(); LocalRuntime runtime = LocalRuntime.start(...)) {
 *     shutdown.await();
 * }
 * }</pre>
 *
 * <p>Logging is asynchronous (logback's AsyncAppender, see logback.xml): {@link #flushLogs()}
 * writes out what is queued, and runs last, after a signal's resources closed and before a
 * normal exit.
 */
final class Shutdown implements AutoCloseable {
    /** A close that hangs must not keep the JVM alive forever. */
    private static final long MAX_CLOSE_SECONDS = 120;
    private final CountDownLatch signalled = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile String failure;

    private Shutdown() {
    }

    static Shutdown register() {
        Shutdown s = new Shutdown();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.signalled.countDown();
            try {
                s.closed.await(MAX_CLOSE_SECONDS, TimeUnit.SECONDS);
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
