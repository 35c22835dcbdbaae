package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The columns the docs say {@code kubectl get} shows are the CRDs' additionalPrinterColumns:
 * docs/status.md's table lists exactly each kind's columns (priority 1 ones "with -o wide"), and
 * a column named anywhere in docs/ ("the PROGRAMMED column") is one of some kind.
 */
class PrinterColumnsDocTest {
    static final Path DOCS = Path.of("../docs");
    static final List<String> PLURALS = List.of("upstreams", "gatewayservices", "gatewayroutes", "consumers",
            "keyauthfilters");
    private static final Pattern UPPER = Pattern.compile("\\b[A-Z][A-Z-]+[A-Z]\\b");

    record Column(String header, int priority) {
    }

    static List<Column> columns(String plural) throws IOException {
        List<Column> out = new ArrayList<>();
        for (JsonNode c : CrdSchemaTest.crd(plural).at("/spec/versions/0/additionalPrinterColumns")) {
            out.add(new Column(c.get("name").asText().toUpperCase(Locale.ROOT), c.path("priority").asInt(0)));
        }
        return out;
    }

    @Test
    void statusMdListsEachKindsColumns() throws IOException {
        String doc = Files.readString(DOCS.resolve("status.md"));
        for (String plural : PLURALS) {
            String kind = CrdSchemaTest.crd(plural).at("/spec/names/kind").asText();
            Matcher row = Pattern.compile("(?m)^\\| " + kind + " \\(`[a-z]+`\\) \\| (.*) \\|$").matcher(doc);
            assertThat(row.find()).as("a row for %s in the kubectl get table of docs/status.md", kind).isTrue();
            String cell = row.group(1);
            int wide = cell.indexOf("with `-o wide`");
            String always = wide < 0 ? cell : cell.substring(0, wide);
            String onlyWide = wide < 0 ? "" : cell.substring(cell.lastIndexOf(';', wide) + 1, wide);
            always = wide < 0 ? always : cell.substring(0, cell.lastIndexOf(';', wide));
            Set<String> expectedAlways = new TreeSet<>();
            Set<String> expectedWide = new TreeSet<>();
            for (Column c : columns(plural)) {
                if (!c.header().equals("AGE")) {
                    (c.priority() == 0 ? expectedAlways : expectedWide).add(c.header());
                }
            }
            assertThat(upper(always)).as("%s's columns in docs/status.md", kind).isEqualTo(expectedAlways);
            assertThat(upper(onlyWide)).as("%s's -o wide columns in docs/status.md", kind).isEqualTo(expectedWide);
        }
    }

    @Test
    void everyColumnTheDocsNameExists() throws IOException {
        Set<String> all = new TreeSet<>(Set.of("NAME", "AGE"));
        for (String plural : PLURALS) {
            columns(plural).forEach(c -> all.add(c.header()));
        }
        Pattern named = Pattern.compile("\\b([A-Z][A-Z-]+[A-Z])`? columns?\\b");
        List<String> unknown = new ArrayList<>();
        int found = 0;
        try (Stream<Path> pages = Files.list(DOCS)) {
            for (Path page : pages.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                Matcher m = named.matcher(Files.readString(page));
                while (m.find()) {
                    found++;
                    if (!all.contains(m.group(1))) {
                        unknown.add(page.getFileName() + ": " + m.group(1));
                    }
                }
            }
        }
        assertThat(found).as("columns named in docs/ (operations.md names PROGRAMMED)").isPositive();
        assertThat(unknown).as("columns named in docs/ that no Gatehouse CRD has").isEmpty();
    }

    private static Set<String> upper(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = UPPER.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }
}
