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
 *      [--edits N] [--rollout N] [--rollout-seconds N] [--controller-heap SIZE] [--proxy-heap SIZE] [--local-heap SIZE]
 *      [--local-jvm-options "OPTS"] [--phase-seconds N] [--sync-seconds N] [--api mock|standin]
 *      [--status-writes-per-second N] [--fill-only] [--baseline-proxy-jar JAR]
 * </pre>
 * and writes the figures as a Markdown table into {@code --out}; the processes' logs stay in
 * {@code --work}.
 */
public final class ScaleBench {
    private ScaleBench() {
    }

    /** Held: the mock server logs every request at INFO through java.util.logging; only its warnings are kept. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    /** Above this many objects the default API server is the stand-in (the mock server's fill is O(objects²)). */
    static final int MOCK_LIMIT = 20_000;

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
        double rolloutSeconds = 30;
        String api = null;
        int statusWrites = 0;
        boolean fillOnly = false;
        Path baselineProxyJar = null;
        for (int i = 0; i < rest.size(); i++) {
            String flag = rest.get(i);
            if (flag.equals("--fill-only")) {
                fillOnly = true;
                continue;
            }
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
                case "--rollout-seconds" -> rolloutSeconds = Double.parseDouble(v);
                case "--api" -> api = v;
                case "--baseline-proxy-jar" -> baselineProxyJar = Path.of(v);
                case "--status-writes-per-second" -> statusWrites = Integer.parseInt(v);
                default -> usage("unknown option " + flag);
            }
        }
        if (!(rolloutSeconds > 0)) {
            usage("--rollout-seconds: " + rolloutSeconds + " (expected: > 0, the seconds the rollout's writes are spread over)");
        }
        if (work == null || out == null) {
            usage("--work and --out are required");
        }
        if (!Files.isRegularFile(jar)) {
            usage("--jar: " + jar + " is not a file (expected: the gatehouse.jar of ./mvnw -pl app -am package)");
        }
        MockCluster.Api server;
        try {
            // the mock server scans every object it holds on each request: above 20 000 objects it cannot be filled in minutes
            server = api != null ? MockCluster.Api.parse(api) : shape.objects() > MOCK_LIMIT ? MockCluster.Api.STANDIN : MockCluster.Api.MOCK;
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        Files.createDirectories(work);
        Report report = new Report();
        System.out.println("scale: " + mode + " mode, " + shape.describe() + "; logs in " + work);
        switch (mode) {
            case "cluster" -> new ClusterRun(shape, new ClusterRun.Options(jar, work, controllerHeap, proxyHeap,
                    phaseSeconds * 1000, syncSeconds * 1000, server, statusWrites, fillOnly, baselineProxyJar,
                    (long) (rolloutSeconds * 1000)), report).run();
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
