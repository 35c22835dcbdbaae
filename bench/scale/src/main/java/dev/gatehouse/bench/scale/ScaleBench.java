package dev.gatehouse.bench.scale;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The config-plane scale benchmark (issue 14): {@code bench/scale.sh} builds it and runs
 * <pre>
 * java -jar bench/scale/target/scale-bench.jar --mode cluster|local --jar app/target/gatehouse.jar
 *      --work DIR --out FILE [--services N] [--routes N] [--upstreams N] [--endpoints N] [--consumers N]
 *      [--edits N] [--rollout N] [--controller-heap SIZE] [--proxy-heap SIZE] [--local-heap SIZE]
 *      [--local-jvm-options "OPTS"] [--phase-seconds N] [--sync-seconds N]
 * </pre>
 * and writes the figures as a Markdown table into {@code --out}; the processes' logs stay in
 * {@code --work}.
 */
public final class ScaleBench {
    private ScaleBench() {
    }

    /** Held: the mock server logs every request at INFO through java.util.logging; only its warnings are kept. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    public static void main(String[] args) throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        List<String> rest = new ArrayList<>();
        Shape shape;
        try {
            shape = Shape.parse(args, rest);
        } catch (IllegalArgumentException e) {
            System.err.println("scale: " + e.getMessage());
            System.exit(2);
            return;
        }
        String mode = "cluster";
        Path jar = Path.of("app/target/gatehouse.jar");
        Path work = null;
        Path out = null;
        String controllerHeap = "2g";
        String proxyHeap = "1g";
        String localHeap = "512m";
        List<String> localJvmOptions = List.of();
        long phaseSeconds = 300;
        long syncSeconds = 600;
        for (int i = 0; i < rest.size(); i++) {
            String flag = rest.get(i);
            if (i + 1 == rest.size()) {
                usage(flag + ": missing value");
            }
            String v = rest.get(++i);
            switch (flag) {
                case "--mode" -> mode = v;
                case "--jar" -> jar = Path.of(v);
                case "--work" -> work = Path.of(v);
                case "--out" -> out = Path.of(v);
                case "--controller-heap" -> controllerHeap = v;
                case "--proxy-heap" -> proxyHeap = v;
                case "--local-heap" -> localHeap = v;
                case "--local-jvm-options" -> localJvmOptions = v.isBlank() ? List.of() : List.of(v.trim().split("\\s+"));
                case "--phase-seconds" -> phaseSeconds = Long.parseLong(v);
                case "--sync-seconds" -> syncSeconds = Long.parseLong(v);
                default -> usage("unknown option " + flag);
            }
        }
        if (work == null || out == null) {
            usage("--work and --out are required");
        }
        if (!Files.isRegularFile(jar)) {
            usage("--jar: " + jar + " is not a file (expected: the gatehouse.jar of ./mvnw -pl app -am package)");
        }
        Files.createDirectories(work);
        Report report = new Report();
        System.out.println("scale: " + mode + " mode, " + shape.describe() + "; logs in " + work);
        switch (mode) {
            case "cluster" -> new ClusterRun(shape, new ClusterRun.Options(jar, work, controllerHeap, proxyHeap,
                    phaseSeconds * 1000, syncSeconds * 1000), report).run();
            case "local" -> new LocalRun(shape, jar, work, localHeap, localJvmOptions, phaseSeconds * 1000, report).run();
            default -> usage("--mode: " + mode + " (expected: cluster or local)");
        }
        report.write(out, "Sizes: " + shape.describe() + ".");
        System.exit(0); // the mock API server's threads are not all daemons
    }

    private static void usage(String problem) {
        System.err.println("scale: " + problem);
        System.exit(2);
    }
}
