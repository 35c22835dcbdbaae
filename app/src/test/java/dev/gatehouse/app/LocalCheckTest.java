package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatehouse local --dir DIR --check}, as a user runs it. */
class LocalCheckTest {
    static final Path SEED = Path.of("../examples/seed");

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Gatehouse.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void theSeedPasses() {
        Run r = run("local", "--dir", SEED.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("accepted: Upstream/default/moesif (2 targets)", "accepted: GatewayRoute/default/profile",
                "accepted: GatewayRoute/default/root", "accepted: GatewayService/default/moesif-service",
                "accepted: Consumer/default/moesif (1 key)",
                "6 objects in 1 file: 2 routes, 1 service, 1 upstream, 1 consumer, 0 certificates in the snapshot; 0 problems");
    }

    /** What the README and the seed recommend checks as it serves, and --check writes no key. */
    @Test
    void aConsumerWithAGeneratedKeyPassesAndNothingIsWritten(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("consumer.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Consumer
                metadata: {name: moesif}
                spec: {username: moesif, keyAuth: {generate: true}}
                """);
        Run r = run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("accepted: Consumer/default/moesif", "1 object in 1 file: 0 routes, 0 services, 0 upstreams, 1 consumer, 0 certificates in the snapshot; 0 problems")
                .doesNotContain("Generated API key");
        assertThat(dir.resolve(".gatehouse")).doesNotExist();
    }

    /** The summary counts what could not be read, and speaks in singular where it should. */
    @Test
    void theSummaryCountsObjectsThatCouldNotBeRead(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("two.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: u}
                spec: {targets: [{address: "127.0.0.1:9001"}]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: v}
                spec: {targetz: []}
                """);
        Run r = run("local", "--dir", dir.toString(), "--check");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("accepted: Upstream/default/u (1 target)",
                "1 object in 1 file, 1 more could not be read: 0 routes, 0 services, 1 upstream, 0 consumers, 0 certificates"
                        + " in the snapshot; 1 problem");
        assertThat(r.err()).contains("two.yaml: Upstream/default/v: spec.targetz: unknown field");
    }

    @Test
    void aBrokenCopyFailsNamingFileObjectAndField(@TempDir Path dir) throws IOException {
        String seed = Files.readString(SEED.resolve("seed.yaml"));
        Files.writeString(dir.resolve("seed.yaml"), seed
                .replace("paths: [\"/profile\"]", "paths: [\"~/profile/(\\\\d+\"]")
                .replace("{name: moesif-key}", "{name: missing-key}"));
        Files.writeString(dir.resolve("extra.yml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: typo}
                spec: {algorithm: RoundRobin, targetz: []}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: unrelated}
                """);
        Files.writeString(dir.resolve(".hidden.yaml"), "not: [yaml");
        Run r = run("local", "--dir", dir.toString(), "--check");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactlyInAnyOrder(
                "seed.yaml: GatewayRoute/default/profile: spec.paths[0]: invalid regex \"/profile/(\\d+\": "
                        + "Unclosed group near index 13 (expected: a Java regular expression after ~)",
                "seed.yaml: Consumer/default/moesif: spec.keyAuth.secretRefs[0].name: Secret default/missing-key not found",
                "extra.yml: Upstream/default/typo: spec.targetz: unknown field \"targetz\" (expected one of: algorithm, "
                        + "hashFallback, hashOn, healthChecks, serviceRef, slowStart, targets)");
        assertThat(r.out()).contains("accepted: GatewayRoute/default/root", "skipped: Deployment/default/unrelated");
    }

    @Test
    void aBadMaxBodySizeNamesFileObjectAndField(@TempDir Path dir) throws IOException {
        Files.copy(SEED.resolve("seed.yaml"), dir.resolve("seed.yaml"));
        Files.writeString(dir.resolve("uploads.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: uploads}
                spec: {serviceRef: {name: moesif-service}, paths: ["/uploads"], maxBodySize: "10MB"}
                """);
        Run r = run("local", "--dir", dir.toString(), "--check");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactly("uploads.yaml: GatewayRoute/default/uploads: spec.maxBodySize: "
                + "\"10MB\" is not a byte size (expected: a byte size such as 1048576, 512Ki, 10Mi, 1M or 1Gi: digits and "
                + "an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000))");
        assertThat(r.out()).contains("accepted: GatewayRoute/default/root", "accepted: GatewayRoute/default/profile");
    }

    /** Every YAML example in docs/routing.md, added to the seed, passes the check. */
    @Test
    void theRoutingDocExamplesPass(@TempDir Path dir) throws IOException {
        Files.copy(SEED.resolve("seed.yaml"), dir.resolve("seed.yaml"));
        List<String> examples = yamlBlocks(Files.readString(ROUTING_DOC));
        assertThat(examples).as("YAML examples in " + ROUTING_DOC).isNotEmpty();
        for (int i = 0; i < examples.size(); i++) {
            Files.writeString(dir.resolve("routing-" + i + ".yaml"), examples.get(i));
        }
        Run r = run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        Matcher named = Pattern.compile("(?m)^kind: (\\w+)\\nmetadata: \\{name: ([a-z0-9-]+)\\}").matcher(String.join("\n", examples));
        int objects = 0;
        while (named.find()) {
            objects++;
            assertThat(r.out()).contains("accepted: " + named.group(1) + "/default/" + named.group(2));
        }
        assertThat(objects).as("objects named as `kind: K` then `metadata: {name: n}` in the examples").isPositive();
    }

    static final Path ROUTING_DOC = Path.of("../docs/routing.md");

    /** The bodies of the ```yaml fenced blocks of a Markdown text. */
    static List<String> yamlBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^```yaml\n(.*?)^```$", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    @Test
    void aMissingDirectoryIsAnErrorNotACrash() {
        Run r = run("local", "--dir", "/nonexistent/gatehouse", "--check");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--dir: /nonexistent/gatehouse is not a directory").doesNotContain("\tat ");
    }

    @Test
    void everySubcommandHasHelp() {
        for (String sub : Gatehouse.commandLine().getSubcommands().keySet().stream().filter(s -> !s.equals("help")).toList()) {
            Run r = run(sub, "--help");
            assertThat(r.exit()).as(sub).isZero();
            assertThat(r.out()).as(sub).startsWith("Usage: gatehouse " + sub);
        }
    }
}
