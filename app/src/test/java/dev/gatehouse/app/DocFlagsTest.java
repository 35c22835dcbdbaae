package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code --flag} the docs, the README and the chart's values name exists: in the
 * {@code --help} of some gatehouse command, or, for the few other tools the docs show
 * (helm, kubectl, kind, curl, the bench scripts), in the list below with the tool that owns it.
 */
class DocFlagsTest {
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--(?:\\[no-])?[a-z][a-z0-9]*(?:-[a-z0-9]+)*");

    /** Flags of other tools that the docs use, and whose they are. */
    static final Map<String, String> OTHER_TOOLS = Map.ofEntries(
            Map.entry("--set", "helm"), Map.entry("--install", "helm upgrade"), Map.entry("--create-namespace", "helm"),
            Map.entry("--reuse-values", "helm upgrade"), Map.entry("--reset-then-reuse-values", "helm upgrade"),
            Map.entry("--from-file", "kubectl create secret"), Map.entry("--from-literal", "kubectl create secret"),
            Map.entry("--type", "kubectl create secret / kubectl patch"), Map.entry("--server-side", "kubectl apply"),
            Map.entry("--replicas", "kubectl scale"), Map.entry("--cert", "kubectl create secret tls"),
            Map.entry("--key", "kubectl create secret tls"), Map.entry("--name", "kind"),
            Map.entry("--http2-prior-knowledge", "curl"),
            Map.entry("--platform", "docker buildx build"), Map.entry("--push", "docker buildx build"),
            Map.entry("--sun-misc-unsafe-memory-access", "java, JDK 23 and later"),
            Map.entry("--enable-native-access", "java, JDK 22 and later"));

    /** Deprecated aliases, hidden from --help on purpose; the docs may name them as such. */
    static final Set<String> DEPRECATED = Set.of("--shutdown-grace");

    /**
     * A bench script's option as its argument loop parses it: a case pattern such as {@code --rounds)}
     * or {@code --a|--b)}. The docs may name any flag some script of bench/ parses, and no other.
     */
    static final Pattern BENCH_CASE = Pattern.compile("--[a-z][a-z0-9-]*(?:\\|--[a-z][a-z0-9-]*)*\\)");

    /** Every flag the scripts of bench/ parse. */
    static Set<String> benchFlags() throws IOException {
        Set<String> flags = new TreeSet<>();
        for (Path s : benchScripts()) {
            flags.addAll(parsedFlags(Files.readString(s)));
        }
        return flags;
    }

    static java.util.List<Path> benchScripts() throws IOException {
        try (Stream<Path> scripts = Files.list(Path.of("../bench"))) {
            return scripts.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
        }
    }

    /** The flags a bench script's argument loop parses: its {@link #BENCH_CASE} patterns. */
    static Set<String> parsedFlags(String script) {
        Set<String> flags = new TreeSet<>();
        Matcher m = BENCH_CASE.matcher(script);
        while (m.find()) {
            String pattern = m.group();
            flags.addAll(java.util.List.of(pattern.substring(0, pattern.length() - 1).split("\\|")));
        }
        return flags;
    }

    /**
     * The flags a bench script's usage names: the header lines {@code #   bench/NAME.sh [--a N] ...},
     * each with the lines that continue it ({@code #} and an indented {@code [}).
     */
    static Set<String> usageFlags(String script, String name) {
        Set<String> flags = new TreeSet<>();
        Pattern usage = Pattern.compile("#\\s+" + Pattern.quote("bench/" + name) + "(?:\\s.*)?");
        boolean in = false;
        for (String line : script.lines().toList()) {
            in = usage.matcher(line).matches() || (in && line.matches("#\\s{4,}\\[.*"));
            if (in) {
                Matcher m = FLAG.matcher(line);
                while (m.find()) {
                    flags.add(m.group());
                }
            }
        }
        return flags;
    }

    /** Every long option in the usage help of every gatehouse command ({@code --[no-]x} gives both forms). */
    static Set<String> gatehouseFlags() {
        Set<String> flags = new TreeSet<>();
        collect(Gatehouse.commandLine(), flags);
        return flags;
    }

    private static void collect(CommandLine cli, Set<String> flags) {
        Matcher m = FLAG.matcher(cli.getUsageMessage(CommandLine.Help.Ansi.OFF));
        while (m.find()) {
            String flag = m.group();
            if (flag.startsWith("--[no-]")) {
                flags.add("--" + flag.substring("--[no-]".length()));
                flags.add("--no-" + flag.substring("--[no-]".length()));
            } else {
                flags.add(flag);
            }
        }
        cli.getSubcommands().values().forEach(sub -> collect(sub, flags));
    }

    @Test
    void theHelpListsTheFlagsTheChartPasses() {
        assertThat(gatehouseFlags()).contains("--drain-delay", "--io-threads", "--no-ingress",
                "--http2", "--no-http2", "--check", "--help", "--version");
    }

    @Test
    void theDeprecatedFlagsAreHiddenOptionsThatStillExist() {
        Set<String> hidden = new TreeSet<>();
        collectHidden(Gatehouse.commandLine(), hidden);
        assertThat(hidden).containsAll(DEPRECATED);
        assertThat(gatehouseFlags()).doesNotContainAnyElementsOf(DEPRECATED);
    }

    private static void collectHidden(CommandLine cli, Set<String> hidden) {
        cli.getCommandSpec().options().stream().filter(CommandLine.Model.OptionSpec::hidden)
                .forEach(o -> hidden.addAll(java.util.List.of(o.names())));
        cli.getSubcommands().values().forEach(sub -> collectHidden(sub, hidden));
    }

    @Test
    void everyFlagTheDocsNameExists() throws IOException {
        Set<String> known = gatehouseFlags();
        Set<String> bench = benchFlags();
        assertThat(bench).as("flags parsed by bench/run.sh, bench/alloc_classes.sh and bench/scale.sh").contains("--rounds", "--path", "--full");
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (Path file : documents()) {
            Matcher m = FLAG.matcher(Files.readString(file));
            while (m.find()) {
                String flag = m.group();
                boolean ok = known.contains(flag) || OTHER_TOOLS.containsKey(flag) || DEPRECATED.contains(flag)
                        || bench.contains(flag);
                if (!ok) {
                    unknown.computeIfAbsent(flag, f -> new TreeSet<>()).add(file.toString());
                }
            }
        }
        assertThat(unknown).as("flags named in the docs that no gatehouse command's --help lists (a renamed or "
                + "removed flag, or a typo; another tool's flag goes into OTHER_TOOLS with the tool)").isEmpty();
    }

    /** The start of a bench script's argument loop; it ends at the first {@code done} at the start of a line. */
    static final String ARGUMENT_LOOP = "while [ $# -gt 0 ]; do";

    /** A bench script's usage line names every flag its argument loop parses, and no other. */
    @Test
    void everyBenchScriptsUsageNamesTheFlagsItParses() throws IOException {
        Map<String, String> wrong = new TreeMap<>();
        Set<String> checked = new TreeSet<>();
        for (Path s : benchScripts()) {
            String script = Files.readString(s);
            String name = s.getFileName().toString();
            int loop = script.indexOf(ARGUMENT_LOOP);
            if (loop < 0) {
                continue;
            }
            // the loop's own case patterns: a comment elsewhere may name another tool's flag in parentheses
            Set<String> parsed = parsedFlags(script.substring(loop, script.indexOf("\ndone", loop)));
            checked.add(name);
            Set<String> named = usageFlags(script, name);
            if (!named.equals(parsed)) {
                wrong.put(name, "parses " + parsed + ", its usage names " + named);
            }
        }
        assertThat(checked).as("scripts with an argument loop").contains("run.sh", "tls-objects.sh", "tls-delta.sh",
                "footprint.sh", "scale.sh");
        assertThat(wrong).as("bench scripts whose usage line (the header's '#   bench/NAME.sh [...]') and argument "
                + "loop disagree: add the flag to the usage, or drop it from the loop").isEmpty();
    }

    static Set<Path> documents() throws IOException {
        Set<Path> files = new TreeSet<>();
        try (Stream<Path> docs = Files.list(Path.of("../docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
        }
        files.add(Path.of("../README.md"));
        files.add(Path.of("../helm/gatehouse/values.yaml"));
        files.add(Path.of("../helm/gatehouse/templates/NOTES.txt"));
        assertThat(files).hasSizeGreaterThan(10);
        return files;
    }
}
