package dev.gatehouse.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Java main of this test class path in a process of its own (the same java binary), so a
 * drill can kill it as an operator's SIGKILL or an OOM kill would: {@link #kill()} sends SIGKILL,
 * no shutdown hook runs, the kernel closes its sockets. Its output lines are kept
 * ({@link #lines}), every one of them, up to the kill, and copied to {@code log};
 * {@link #close()} kills what is left.
 */
final class ChildJvm implements AutoCloseable {
    /**
     * How long a child JVM may take to start and say so (a listening line): a bound on waiting,
     * not a figure. 60 s were missed at load 32 on 2 cores: a controller child wrote nothing
     * after its logging set-up for 57 s.
     */
    static final Duration START = Duration.ofSeconds(180);
    private final Process process;
    private final Thread reader;
    final List<String> lines = new CopyOnWriteArrayList<>();

    private ChildJvm(Process process, Path log) throws IOException {
        this.process = process;
        java.io.Writer copy = log == null ? java.io.Writer.nullWriter()
                : java.nio.file.Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        this.reader = new Thread(() -> {
            try (copy; BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                    copy.write(l);
                    copy.write('\n');
                    copy.flush();
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} with {@code args}, stderr merged into stdout.
     *
     * @param env added to this process's environment
     * @param log where its output is copied; null for nowhere
     */
    static ChildJvm start(Class<?> main, Map<String, String> env, Path log, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new ChildJvm(pb.start(), log);
    }

    /** The first output line that {@code matches}, waiting for it (bounded); fails when the process ends first. */
    String awaitLine(Duration within, Predicate<String> matches, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            for (String l : lines) {
                if (matches.test(l)) {
                    return l;
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("the child process ended (exit " + process.exitValue() + ") before " + what
                        + "; its output: " + lines);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within.toMillis() + " ms: " + what + "; output: " + lines);
            }
            Thread.sleep(10);
        }
    }

    private static final java.util.regex.Pattern PORT = java.util.regex.Pattern.compile(" port=(\\d+)");

    /**
     * The port in the first line that contains {@code text} and {@code port=N} (bounded wait, {@link #START}):
     * a child given port 0 binds one of its own and says which, so no other process can take it first.
     */
    int awaitPort(String text, String what) throws InterruptedException {
        String line = awaitLine(START, l -> l.contains(text), what);
        java.util.regex.Matcher m = PORT.matcher(line);
        if (!m.find()) {
            throw new AssertionError("no port= in the line for " + what + ": " + line);
        }
        return Integer.parseInt(m.group(1));
    }

    long pid() {
        return process.pid();
    }

    /**
     * SIGKILL, and waits until the process is gone and its output read to the end (its pipe's end
     * of stream), so {@link #lines} holds every line it wrote before it died.
     *
     * <p>{@code Process.destroyForcibly()} would close the stream the reader reads right after the
     * signal: whatever the process wrote that the reader had not read yet was lost (under load,
     * the last lines: the kill drill then saw answers from a target with no arrival line for
     * them). {@code ProcessHandle.destroyForcibly()} only signals; the kernel keeps what a dead
     * process wrote to the pipe for the reader.
     */
    void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("process " + process.pid() + " still alive 10 s after SIGKILL");
        }
        reader.join(10_000);
        if (reader.isAlive()) {
            throw new AssertionError("the output of process " + process.pid() + " not read to its end 10 s after it died");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
