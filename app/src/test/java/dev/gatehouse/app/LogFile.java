package dev.gatehouse.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The application log of this JVM, every logger, written to a file while open: a file appender
 * at the root, in the production layout ({@link LogSetup}) plus the full logger name and
 * any stack trace, with the root level lowered to {@code DEBUG} so the lines an operator could
 * turn on are in it too. Closing restores the level and detaches the appender.
 */
final class LogFile implements AutoCloseable {
    private final Path file;
    private final Logger root;
    private final Level level;
    private final FileAppender<ILoggingEvent> appender = new FileAppender<>();

    LogFile(Path file) {
        this.file = file;
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} level=%level logger=%logger [%thread] %msg%n%ex");
        encoder.start();
        appender.setContext(context);
        appender.setName("log-file-" + file.getFileName());
        appender.setFile(file.toString());
        appender.setEncoder(encoder);
        appender.setImmediateFlush(true);
        appender.start();
        root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        level = root.getLevel();
        root.addAppender(appender);
        root.setLevel(Level.DEBUG);
    }

    String read() throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    @Override
    public void close() {
        root.setLevel(level);
        root.detachAppender(appender);
        appender.stop();
    }
}
