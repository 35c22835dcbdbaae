package dev.gatehouse.e2e;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one drill: logged as one line ({@code event=drill.figures drill=<name> key=value ...})
 * and appended to {@code target/drill-figures.txt}, from which docs/operations.md's table is made.
 */
final class DrillReport {
    private static final Logger LOG = LoggerFactory.getLogger(DrillReport.class);
    private static final Path FILE = Path.of("target/drill-figures.txt");
    private final String drill;
    private final Map<String, Object> figures = new LinkedHashMap<>();

    private DrillReport(String drill) {
        this.drill = drill;
    }

    static DrillReport of(String drill) {
        return new DrillReport(drill);
    }

    DrillReport put(String key, Object value) {
        figures.put(key, value instanceof Double d ? String.format(java.util.Locale.ROOT, "%.1f", d) : value);
        return this;
    }

    /** sent, answered 200, failed, and of those failed the ones answered with another request's answer: what every drill under load reports. */
    DrillReport load(String name, DrillLoad load) {
        return put(name + ".sent", load.sent.get()).put(name + ".ok", load.answered()).put(name + ".failed", load.failures.size())
                .put(name + ".wrong-answer", load.wrongAnswers.size());
    }

    /** Logs the line and appends it to the figures file. */
    void log() {
        StringBuilder line = new StringBuilder("event=drill.figures drill=").append(drill);
        figures.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        LOG.info("{}", line);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warn("event=drill.figures_not_written file={} error=\"{}\"", FILE, e.getMessage());
        }
    }
}
