package dev.gatehouse.app;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The logging set up in code ({@link LogSetup}): the line a user reads, the levels, and a user's own file winning. */
class LogSetupTest {
    @Test
    void theProcessLogsThroughIt() {
        // the app's tests have no logback-test.xml: logback started with LogSetup, as a start of the jar does
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender("ASYNC")).isInstanceOf(AsyncAppender.class);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.fabric8").getLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void oneLinePerEventWithTheUtcTimeTheLevelAndTheClassName() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter()); // as logback's own start gives it
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            context.getLogger("dev.gatehouse.proxy.ProxyServer").info("event=test.line name={}", "a b");
            context.getLogger("dev.gatehouse.proxy.ProxyServer").debug("event=test.hidden");
            context.getLogger("io.netty.channel.Foo").info("event=test.netty-info");
            context.stop(); // writes out the queue, as Shutdown.flushLogs does
        } finally {
            System.setErr(original);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).matches(
                "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z level=INFO logger=ProxyServer event=test\\.line name=a b");
    }

    @Test
    void theRootLevelIsGatehouseLogLevelAndInfoWhenItNamesNone() {
        assertThat(LogSetup.rootLevel(null)).isEqualTo(Level.INFO);
        assertThat(LogSetup.rootLevel("")).isEqualTo(Level.INFO);
        assertThat(LogSetup.rootLevel("debug")).isEqualTo(Level.DEBUG);
        assertThat(LogSetup.rootLevel(" WARN ")).isEqualTo(Level.WARN);
        assertThat(LogSetup.rootLevel("verbose")).isEqualTo(Level.INFO);
    }

    @Test
    void aConfigurationFileOfTheUsersOwnWins() {
        LoggerContext context = new LoggerContext();
        String before = System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY);
        System.setProperty(ContextInitializer.CONFIG_FILE_PROPERTY, "/etc/gatehouse/logback.xml");
        try {
            assertThat(configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext())
                    .as("no appender of its own").isFalse();
        } finally {
            if (before == null) {
                System.clearProperty(ContextInitializer.CONFIG_FILE_PROPERTY);
            } else {
                System.setProperty(ContextInitializer.CONFIG_FILE_PROPERTY, before);
            }
            context.stop();
        }
    }

    @Test
    void aLogbackFileOnTheClassPathIsTheUsersAndWins(@TempDir Path dir) throws Exception {
        try (URLClassLoader none = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            assertThat(LogSetup.userFileOn(none)).as("the jar ships neither file").isFalse();
        }
        Files.writeString(dir.resolve("logback.xml"), "<configuration/>");
        try (URLClassLoader users = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            assertThat(LogSetup.userFileOn(users)).isTrue();
        }
        assertThat(LogSetup.userFileOn(LogSetupTest.class.getClassLoader()))
                .as("the app's tests have no logback-test.xml: they log as the jar does").isFalse();
    }

    private static Configurator.ExecutionStatus configure(LoggerContext context) {
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        return setup.configure(context);
    }
}
