package dev.gatehouse.controller.translate;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/status.md is where a user searches the reason {@code kubectl describe} shows: every
 * {@link Reason} a condition or an Event can carry is named there, and every Event the
 * controller records takes its reason from {@link Reason} (no free-text reason a user could not
 * look up).
 */
class StatusDocTest {
    static final Path DOC = Path.of("../docs/status.md");
    static final Path SOURCES = Path.of("src/main/java/dev/gatehouse/controller");

    @Test
    void everyReasonIsExplainedInStatusMd() throws IOException {
        String doc = Files.readString(DOC);
        List<String> missing = Arrays.stream(Reason.values()).map(Reason::name)
                .filter(r -> !Pattern.compile("(\\| " + r + " \\|)|(`" + r + "`)").matcher(doc).find()).toList();
        assertThat(missing).as("reasons not in a table row (| Reason |) or `quoted` in docs/status.md").isEmpty();
    }

    @Test
    void everyEventReasonComesFromTheReasonEnum() throws IOException {
        Pattern withReason = Pattern.compile("\\.withReason\\(([^;]*?)\\)\\s*\\.with");
        Pattern event = Pattern.compile("\\bevent\\(\\w+, ([^,\\n]+), ");
        List<String> found = new ArrayList<>();
        List<String> offending = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = Files.readString(file);
                for (Pattern p : List.of(withReason, event)) {
                    Matcher m = p.matcher(code);
                    while (m.find()) {
                        String arg = m.group(1).trim();
                        found.add(file.getFileName() + ": " + arg);
                        boolean fromEnum = arg.endsWith(".reason().name()") || arg.endsWith(".getReason()")
                                || arg.equals("reason") || arg.startsWith("Reason.");
                        if (!fromEnum || arg.startsWith("\"")) {
                            offending.add(file.getFileName() + ": " + arg);
                        }
                    }
                }
            }
        }
        assertThat(found).as("the scan finds the Event writers (StatusWriter, IngressStatusWriter)")
                .anyMatch(f -> f.startsWith("StatusWriter.java")).anyMatch(f -> f.startsWith("IngressStatusWriter.java"));
        assertThat(offending).as("Event or condition reasons not taken from the Reason enum (docs/status.md lists only those)")
                .isEmpty();
    }
}
