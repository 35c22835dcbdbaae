package dev.gatehouse.helm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The values table of docs/chart.md is generated from values.yaml: every key with its default and
 * the comment above it, so the doc cannot miss a value or keep one the chart dropped. Regenerate
 * with {@code ./mvnw -B -pl helm -am test -Dtest=ValuesDocTest -Dgatehouse.regenerate=true}.
 */
class ValuesDocTest {
    static final Path DOC = Chart.REPO.resolve("docs/chart.md");
    static final String BEGIN = "<!-- values table: generated from helm/gatehouse/values.yaml by ValuesDocTest -->\n";
    static final String END = "<!-- end of the values table -->\n";
    private static final Pattern KEY = Pattern.compile("^( *)([A-Za-z][\\w.-]*):(?: (.*))?$");
    private static final Pattern COMMENT = Pattern.compile("^ *#(?: (.*))?$");

    @Test
    void theValuesTableIsValuesYaml() throws IOException {
        String doc = Files.readString(DOC);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertThat(begin).as("docs/chart.md holds the table's markers").isNotNegative();
        assertThat(end).isGreaterThan(begin);
        String generated = table(Files.readAllLines(Chart.DIR.resolve("values.yaml")));
        String updated = doc.substring(0, begin + BEGIN.length()) + generated + doc.substring(end);
        if (Boolean.getBoolean("gatehouse.regenerate")) {
            Files.writeString(DOC, updated);
        }
        assertThat(Files.readString(DOC)).as("docs/chart.md's values table differs from values.yaml; regenerate it with "
                + "./mvnw -B -pl helm -am test -Dtest=ValuesDocTest -Dgatehouse.regenerate=true").isEqualTo(updated);
    }

    @Test
    void everyTuningValueIsInTheTable() {
        String table = table(List.of("proxy:", "  # the JVM", "  javaOpts: \"-Xmx1g\"", "  service:", "    type: ClusterIP"));
        assertThat(table).contains("| `proxy.javaOpts` | `\"-Xmx1g\"` | the JVM |", "| `proxy.service.type` | `ClusterIP` |  |");
    }

    /** Every "# chart values" block of the docs is a values file the chart takes (schema included) and renders. */
    @Test
    void everyValuesExampleOfTheDocsRenders(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        List<Path> pages;
        try (var files = Files.list(Chart.REPO.resolve("docs"))) {
            pages = files.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
        int rendered = 0;
        for (Path page : pages) {
            Matcher m = Pattern.compile("(?m)^```yaml\n(# chart values.*?)^```$", Pattern.DOTALL).matcher(Files.readString(page));
            while (m.find()) {
                Path values = dir.resolve(page.getFileName() + "-" + rendered++ + ".yaml");
                Files.writeString(values, m.group(1));
                assertThat(Chart.parse(Chart.template().withValuesFile(values).call())).as("%s, block:%n%s", page, m.group(1))
                        .isNotEmpty();
            }
        }
        assertThat(rendered).as("values examples (docs/chart.md has one)").isPositive();
    }

    /** One row per key: its dotted path, its default (empty for a block of keys) and its comment. */
    static String table(List<String> lines) {
        StringBuilder out = new StringBuilder("| value | default | what it does |\n|---|---|---|\n");
        List<String> path = new ArrayList<>();
        List<String> comment = new ArrayList<>();
        for (String line : lines) {
            Matcher c = COMMENT.matcher(line);
            if (c.matches()) {
                comment.add(c.group(1) == null ? "" : c.group(1).strip());
                continue;
            }
            Matcher k = KEY.matcher(line);
            if (!k.matches()) {
                comment.clear(); // a blank line ends a comment that belongs to no key
                continue;
            }
            int depth = k.group(1).length() / 2;
            while (path.size() > depth) {
                path.remove(path.size() - 1);
            }
            path.add(k.group(2));
            String value = k.group(3) == null ? "" : k.group(3).strip();
            String text = String.join(" ", comment).replaceAll("\\s+", " ").strip().replace("|", "\\|")
                    .replace("<", "&lt;").replace(">", "&gt;");
            comment.clear();
            if (value.isEmpty() && text.isEmpty()) {
                continue; // a block without a comment: its keys have rows of their own
            }
            out.append("| `").append(String.join(".", path)).append("` | ")
                    .append(value.isEmpty() ? "" : "`" + value.replace("|", "\\|") + "`").append(" | ")
                    .append(text).append(" |\n");
        }
        return out.toString();
    }
}
