package dev.gatehouse.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code gatehouse} process: the JVM of this test ({@code java.home}) with its class path,
 * running {@link Gatehouse#main}; standard output and error go to files in {@code dir}.
 * {@link #terminate()} sends SIGTERM ({@link Process#destroy()} on Linux), as the kubelet does;
 * {@link #close()} kills what is still running.
 */
final class GatehouseProcess implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;

    private GatehouseProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    static GatehouseProcess start(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Gatehouse.class.getName()));
        command.addAll(List.of(args));
        Path out = dir.resolve("gatehouse.out");
        Path err = dir.resolve("gatehouse.err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new GatehouseProcess(p, out, err);
    }

    private static final java.util.regex.Pattern BANNER =
            java.util.regex.Pattern.compile("Gatehouse serves .* on [^ ]+:(\\d+).* \\(status on [^)]*:(\\d+)\\)");

    /**
     * The data and status ports {@code local} serves on, from its banner (waited for up to {@code millis}):
     * given port 0 it binds ports of its own, so no other process can take them between a test's
     * choice and the child's bind.
     */
    Served servedPorts(long millis) throws IOException, InterruptedException {
        awaitOutput("Gatehouse serves", millis);
        java.util.regex.Matcher m = BANNER.matcher(out());
        if (!m.find()) {
            throw new AssertionError("no ports in the banner: " + out());
        }
        return new Served(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** The ports named by {@code local}'s banner: its data port and its status port. */
    record Served(int port, int statusPort) {
    }

    /** Waits until standard output contains {@code text} and the end of its line; fails when the process ends first or after {@code millis}. */
    void awaitOutput(String text, long millis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!hasLine(out(), text)) {
            if (!process.isAlive()) {
                throw new AssertionError("gatehouse exited " + process.exitValue() + " before printing '" + text
                        + "'; stderr:\n" + err());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gatehouse did not print '" + text + "' within " + millis + " ms; stderr:\n" + err());
            }
            Thread.sleep(20);
        }
    }

    /** {@code text} is in {@code out} on a line written to its end (a line may reach the file in pieces). */
    private static boolean hasLine(String out, String text) {
        int at = out.indexOf(text);
        return at >= 0 && out.indexOf('\n', at) >= 0;
    }

    /** SIGTERM. */
    void terminate() {
        process.destroy();
    }

    /** @return whether it exited within {@code millis} */
    boolean awaitExit(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
    }

    int exitValue() {
        return process.exitValue();
    }

    String out() throws IOException {
        return Files.exists(out) ? Files.readString(out) : "";
    }

    String err() throws IOException {
        return Files.exists(err) ? Files.readString(err) : "";
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
