package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

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
                "accepted: Consumer/default/moesif",
                "2 routes, 1 services, 1 upstreams, 1 consumers in the snapshot; 0 problems");
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
    void aMissingDirectoryIsAnErrorNotACrash() {
        Run r = run("local", "--dir", "/nonexistent/gatehouse", "--check");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("/nonexistent/gatehouse is not a directory");
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
