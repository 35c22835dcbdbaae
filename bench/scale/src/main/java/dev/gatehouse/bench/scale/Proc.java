package dev.gatehouse.bench.scale;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * One Gatehouse process ({@code java -jar gatehouse.jar ...}) measured from outside, as an
 * operator would: its log lines (copied to a file and handed to a listener with the time the
 * line carries), its resident set, its CPU time, and its heap after a full GC through
 * {@code jcmd} — each process has a heap of its own, so the controller's and each proxy's are
 * told apart.
 */
final class Proc implements AutoCloseable {
    /** The log line's own time (logback writes it before the line leaves the async queue). */
    private static final Pattern STAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(?:Z|[+-]\\d\\d:\\d\\d)) ");
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    final String name;
    private final Process process;
    private final Thread reader;

    private Proc(String name, Process process, Path log, BiConsumer<Long, String> lines) throws IOException {
        this.name = name;
        this.process = process;
        Writer copy = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        this.reader = new Thread(() -> {
            try (copy; BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    copy.write(l);
                    copy.write('\n');
                    lines.accept(stamp(l), l);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code java <jvmArgs> -jar <jar> <args>}, stderr into stdout.
     *
     * @param lines called with (time of the line in epoch ms — its own stamp when it has one, else now — and the line)
     */
    static Proc start(String name, Path jar, List<String> jvmArgs, List<String> args, Map<String, String> env, Path log,
                      BiConsumer<Long, String> lines) throws IOException {
        requireNonNull(jar, "jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmArgs);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new Proc(name, pb.start(), log, lines);
    }

    static long stamp(String line) {
        Matcher m = STAMP.matcher(line);
        return m.find() ? OffsetDateTime.parse(m.group(1)).toInstant().toEpochMilli() : System.currentTimeMillis();
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** User + system CPU time so far, in ms. */
    long cpuMillis() {
        return process.info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
    }

    /** Resident set size in MiB (VmRSS of /proc/PID/status), -1 when unreadable. */
    double rssMiB() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Heap used right after a full GC ({@code jcmd PID GC.run}, then {@code GC.heap_info}), in MiB; -1 when jcmd fails. */
    double heapAfterGcMiB() throws InterruptedException {
        try {
            jcmd("GC.run");
            Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
            return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid()), command)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + pid() + " " + command + ": " + out);
        }
        return out;
    }

    /** SIGTERM, then SIGKILL after 15 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        reader.join(5_000);
    }
}
