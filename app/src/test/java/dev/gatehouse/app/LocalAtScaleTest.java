package dev.gatehouse.app;

import dev.gatehouse.proxy.ProxyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Local mode with many files: an edit of one file is parsed alone and served; the wait for the
 * first snapshot is a knob ({@code --first-snapshot-timeout}), not a fixed 10 s, and a refusal ends it at the next progress check.
 */
class LocalAtScaleTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String routes(int file, String pathOfFirst) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            sb.append("""
                    ---
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: GatewayRoute
                    metadata: {name: r%d-%d}
                    spec: {serviceRef: {name: s}, paths: ["%s"], stripPath: false}
                    """.formatted(file, i, i == 0 ? pathOfFirst : "/f" + file + "/r" + i));
        }
        return sb.toString();
    }

    @Test
    void anEditOfOneFileAmongManyIsParsedAloneAndServed(@TempDir Path dir) throws Exception {
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0, "replica-1")) {
            Files.writeString(dir.resolve("base.yaml"), """
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: Upstream
                    metadata: {name: u}
                    spec: {targets: [{address: "127.0.0.1:%d"}]}
                    ---
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: GatewayService
                    metadata: {name: s}
                    spec: {upstreamRef: {name: u}}
                    """.formatted(backend.port()));
            for (int f = 0; f < 30; f++) {
                Files.writeString(dir.resolve("routes-" + f + ".yaml"), routes(f, "/f" + f + "/r0"));
            }
            try (LocalRuntime local = LocalRuntime.start(dir, new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(1)), 0)) {
                assertThat(local.parses()).isEqualTo(31);
                assertThat(status(local.port(), "/f12/r0")).isEqualTo(200);
                assertThat(status(local.port(), "/edited")).isEqualTo(404);

                // written aside and renamed over the file, as editors do
                Path tmp = dir.resolve(".routes-12.tmp");
                Files.writeString(tmp, routes(12, "/edited"));
                Files.move(tmp, dir.resolve("routes-12.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (status(local.port(), "/edited") != 200) {
                    assertThat(System.nanoTime()).as("the edit served within 10 s").isLessThan(deadline);
                    Thread.sleep(20); // a bounded poll of what a user sees
                }
                assertThat(local.parses()).as("the edited file parsed again, none of the 30 others").isEqualTo(32);
                assertThat(status(local.port(), "/f12/r0")).isEqualTo(404);
                assertThat(status(local.port(), "/f12/r5")).isEqualTo(200);
                assertThat(status(local.port(), "/f29/r9")).isEqualTo(200);
            }
        }
    }

    private static int status(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aFirstSnapshotSlowerThanManyProgressLinesIsWaitedFor() throws Exception {
        CompletableFuture<Object> listening = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> listening.complete("open"));
        long start = System.nanoTime();
        LocalRuntime.awaitServing(listening, Duration.ofSeconds(30), Duration.ofMillis(20), () -> "");
        assertThat(listening).isCompleted();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(400);
    }

    @Test
    void aFirstSnapshotSlowerThanTheTimeoutFailsNamingTheKnob() {
        CompletableFuture<Object> never = new CompletableFuture<>();
        assertThatThrownBy(() -> LocalRuntime.awaitServing(never, Duration.ofMillis(100), Duration.ofMillis(20), () -> ""))
                .isInstanceOf(IOException.class)
                .hasMessage("the in-process proxy did not apply the first snapshot within 100 ms "
                        + "(--first-snapshot-timeout; a large directory on a busy machine may need more)");
    }

    @Test
    void aRefusedFirstSnapshotEndsTheWaitAtTheNextProgressCheck() {
        CompletableFuture<Object> never = new CompletableFuture<>();
        long start = System.nanoTime();
        assertThatThrownBy(() -> LocalRuntime.awaitServing(never, Duration.ofMinutes(5), Duration.ofMillis(20),
                () -> " (it refused version 7: routes[0].paths[0]: bad)"))
                .isInstanceOf(IOException.class)
                .hasMessage("the in-process proxy refused the first snapshot (it refused version 7: routes[0].paths[0]: bad)");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
    }

    @Test
    void theKnobDefaultsToFiveMinutesAndRefusesZero() {
        CommandLine cli = Gatehouse.commandLine();
        LocalCommand local = (LocalCommand) cli.parseArgs("local", "--dir", "d").subcommand().commandSpec().userObject();
        assertThat(local.firstSnapshotTimeout).isEqualTo(LocalRuntime.FIRST_SNAPSHOT_TIMEOUT).isEqualTo(Duration.ofMinutes(5));
        LocalCommand twenty = (LocalCommand) Gatehouse.commandLine().parseArgs("local", "--dir", "d", "--first-snapshot-timeout", "20m")
                .subcommand().commandSpec().userObject();
        assertThat(twenty.firstSnapshotTimeout).isEqualTo(Duration.ofMinutes(20));

        StringWriter err = new StringWriter();
        CommandLine zero = Gatehouse.commandLine();
        zero.setErr(new PrintWriter(err, true));
        assertThat(zero.execute("local", "--dir", "d", "--first-snapshot-timeout", "0s")).isEqualTo(2);
        assertThat(err.toString().trim()).isEqualTo("gatehouse local: --first-snapshot-timeout: 0 ms (expected: > 0, e.g. 5m)");
    }
}
