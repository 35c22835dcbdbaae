package dev.gatehouse.app;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Gatehouse's logging, set up in code when logback starts (its {@code Configurator} service, found
 * before any configuration file): one line per event on standard error through a bounded
 * asynchronous queue. Parsing the same setup from XML cost every start 50–90 ms more of its main
 * thread (docs/benchmarks.md, "Startup and memory").
 *
 * <ul>
 *   <li>Each line: UTC time to the millisecond, {@code level=}, {@code logger=} (the class's simple
 *       name), then the event as key=value pairs ({@link #PATTERN}).</li>
 *   <li>Nothing waits on standard error: a logging call only puts the event in a queue of
 *       {@value #QUEUE_SIZE} lines, and logback's own thread writes it out. Event loops log here, so
 *       a slow or full standard error (a stuck log shipper, a paused terminal) must never stall
 *       traffic. Under pressure lines are dropped, never waited for (docs/operations.md, "Logging
 *       under pressure"): with fewer than {@value #DISCARDING_THRESHOLD} places left, TRACE, DEBUG
 *       and INFO lines are dropped and WARN and ERROR still queued; when full, every new line is
 *       dropped. logback does not count the dropped lines; the per-request events behind the
 *       busiest lines are counted in {@code gatehouse_log_events_total{event}} whether their line
 *       was written, rate-limited or dropped here. On exit the queue is written out for up to
 *       {@value #MAX_FLUSH_MILLIS} ms ({@link Shutdown#flushLogs()} stops logback last).</li>
 *   <li>The root level is {@code GATEHOUSE_LOG_LEVEL} (a system property or an environment
 *       variable; INFO when unset or not a level); Netty and the Kubernetes client log WARN and
 *       above.</li>
 * </ul>
 *
 * <p>A logback configuration of the user's own still wins: with {@code -Dlogback.configurationFile}
 * set, or a {@code logback-test.xml} (the tests') or {@code logback.xml} on the class path, this
 * steps aside and logback reads that file as usual.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} level=%level logger=%logger{0} %msg%n";
    static final int QUEUE_SIZE = 8192;
    static final int DISCARDING_THRESHOLD = 1638;
    static final int MAX_FLUSH_MILLIS = 2000;
    /** Where the root level is read from: a system property, else an environment variable of this name. */
    static final String LEVEL_VARIABLE = "GATEHOUSE_LOG_LEVEL";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null || userFileOn(LogSetup.class.getClassLoader())) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName("ASYNC");
        async.setQueueSize(QUEUE_SIZE);
        async.setDiscardingThreshold(DISCARDING_THRESHOLD);
        async.setNeverBlock(true);
        async.setIncludeCallerData(false);
        async.setMaxFlushTime(MAX_FLUSH_MILLIS);
        async.addAppender(stderr);
        async.start();

        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.fabric8").setLevel(Level.WARN);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(rootLevel(System.getProperty(LEVEL_VARIABLE, System.getenv(LEVEL_VARIABLE))));
        root.addAppender(async);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** A {@code logback-test.xml} or {@code logback.xml} on the class path: the jar has neither, so it is the user's (or the tests'). */
    static boolean userFileOn(ClassLoader loader) {
        return loader.getResource(ContextInitializer.TEST_AUTOCONFIG_FILE) != null
                || loader.getResource(ContextInitializer.AUTOCONFIG_FILE) != null;
    }

    /** The root level for {@code value}: the level it names (any case), INFO when null or none. */
    static Level rootLevel(String value) {
        return Level.toLevel(value == null ? null : value.strip(), Level.INFO);
    }
}
