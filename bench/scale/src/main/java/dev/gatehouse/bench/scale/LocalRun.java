package dev.gatehouse.bench.scale;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.api.v1alpha1.UpstreamSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Local mode (issue 14, point 7): the same generated config as YAML files (Upstreams with static
 * targets, no Services or EndpointSlices), served by one {@code gatehouse local} process; plus
 * one route {@code edit-r} → service {@code edit-gs} → upstream {@code edit-u} in a file of its own,
 * whose one target is one of two real backends on loopback. Measured as a user notices it, with
 * requests to the proxy every 10 ms: start → the first request answered, a route edit (a new
 * path) → that path answered, a target edit (the other backend) → answered by the other backend,
 * each counted from the file's write (an atomic rename, as editors and {@code kubectl} tooling do).
 */
final class LocalRun {
    static final long EDIT_TIMEOUT_MS = 60_000;
    static final long START_TIMEOUT_MS = 180_000;
    private static final int PER_FILE = 500;
    private final Shape shape;
    private final Generator gen;
    private final Path jar;
    private final Path work;
    private final String heap;
    /** Extra JVM options for the {@code gatehouse local} process (e.g. a flight recording), after {@code -Xmx}. */
    private final List<String> jvmOptions;
    private final long phaseMillis;
    private final Report report;
    private final KubernetesSerialization yaml = new KubernetesSerialization();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    LocalRun(Shape shape, Path jar, Path work, String heap, List<String> jvmOptions, long phaseMillis, Report report) {
        this.shape = shape;
        this.gen = new Generator(shape);
        this.jar = jar;
        this.work = work;
        this.heap = heap;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.phaseMillis = phaseMillis;
        this.report = report;
    }

    void run() throws Exception {
        Path dir = Files.createDirectories(work.resolve("config"));
        write(dir, "upstreams", shape.upstreams(), i -> gen.upstream(i, true));
        write(dir, "services", shape.services(), gen::gatewayService);
        write(dir, "routes", shape.routes(), gen::route);
        write(dir, "secrets", shape.consumers(), Generator::secret);
        write(dir, "consumers", shape.consumers(), Generator::consumer);
        long bytes;
        try (var files = Files.list(dir)) {
            bytes = files.mapToLong(f -> f.toFile().length()).sum();
        }
        report.line("config files", String.format("%,d bytes of YAML in %s", bytes, dir));
        HttpServer a = backend("a");
        HttpServer b = backend("b");
        try {
            int[] targets = {a.getAddress().getPort(), b.getAddress().getPort()};
            writeEdit(dir, "/edit-0", targets[0]);
            int port = Ports.free();
            Versions published = new Versions(LOCAL_SNAPSHOT);
            long start = System.currentTimeMillis();
            try (Proc local = Proc.start("local", jar, jvm(),
                    List.of("local", "--dir", dir.toString(), "--address", "127.0.0.1", "--port", Integer.toString(port),
                            "--tls-port", Integer.toString(Ports.free()), "--status-port", Integer.toString(Ports.free()),
                            "--access-log", "off", "--drain-delay", "0s"),
                    Map.of(), work.resolve("local.log"), published::line)) {
                long first = await(port, "/edit-0", "a", start, local, START_TIMEOUT_MS);
                report.line("start → first request served (process start to a 200 from the edit route's backend)",
                        first < 0 ? "not within " + START_TIMEOUT_MS / 1000 + " s" : String.format("%.1f s", first / 1000.0));
                if (first < 0) {
                    return;
                }
                Stats route = new Stats();
                Stats target = new Stats();
                Stats[] routeParts = {new Stats(), new Stats()};
                Stats[] targetParts = {new Stats(), new Stats()};
                int lost = 0;
                int current = 0;
                long end = System.currentTimeMillis() + phaseMillis;
                for (int e = 1; e <= shape.edits() && System.currentTimeMillis() < end; e++) {
                    String path = "/edit-" + e;
                    long before = published.latest();
                    long t = writeEdit(dir, path, targets[current]);
                    long served = await(port, path, current == 0 ? "a" : "b", t, local, EDIT_TIMEOUT_MS);
                    if (served < 0) {
                        lost++;
                    } else {
                        route.add(served);
                        split(published, before, t, served, routeParts);
                    }
                    current = 1 - current;
                    before = published.latest();
                    t = writeEdit(dir, path, targets[current]);
                    served = await(port, path, current == 0 ? "a" : "b", t, local, EDIT_TIMEOUT_MS);
                    if (served < 0) {
                        lost++;
                    } else {
                        target.add(served);
                        split(published, before, t, served, targetParts);
                    }
                }
                String lostNote = lost > 0 ? ", " + lost + " edits not served within " + EDIT_TIMEOUT_MS / 1000 + " s" : "";
                report.goal("route edit (a new path) → served", route.describe("ms") + lostNote, "every time < 1 s",
                        route.count() > 0 && route.max() < 1_000 && lost == 0);
                report.line("route edit: file written → snapshot published (notification, settle, read, parse, translate, hash)",
                        routeParts[0].describe("ms"));
                report.line("route edit: snapshot published → served (channel, proxy: validate, compile, swap)", routeParts[1].describe("ms"));
                report.goal("target edit (the other backend) → served", target.describe("ms"), "every time < 1 s",
                        target.count() > 0 && target.max() < 1_000 && lost == 0);
                report.line("target edit: file written → snapshot published", targetParts[0].describe("ms"));
                report.line("target edit: snapshot published → served (an endpoint delta applied in place)", targetParts[1].describe("ms"));
                double used = local.heapAfterGcMiB();
                report.line("heap after full GC; RSS", String.format("%.0f MiB; RSS %.0f MiB (-Xmx%s)", used, local.rssMiB(), heap));
            }
        } finally {
            a.stop(0);
            b.stop(0);
        }
    }

    /** The local process's {@code event=local.snapshot version=V routes=N} line: the snapshot translated and handed to the channel. */
    static final java.util.regex.Pattern LOCAL_SNAPSHOT = java.util.regex.Pattern.compile("event=local\\.snapshot version=(\\d+) routes=(\\d+)");

    /**
     * Splits one edit's time at its snapshot's publish: [0] the file's write → the publish line,
     * [1] the publish → served ({@code served} ms after the write). Nothing when no version came after {@code before}.
     */
    private static void split(Versions published, long before, long written, long served, Stats[] parts) throws InterruptedException {
        long v = published.awaitAbove(before, 1_000); // logged before the proxy served it: here already, or within a moment
        Long at = v < 0 ? null : published.at(v);
        if (at != null) {
            parts[0].add(at - written);
            parts[1].add(written + served - at);
        }
    }

    private List<String> jvm() {
        List<String> options = new java.util.ArrayList<>();
        options.add("-Xmx" + heap);
        options.addAll(jvmOptions);
        return options;
    }

    private void write(Path dir, String kind, int count, IntFunction<? extends HasMetadata> make) throws IOException {
        for (int from = 0; from < count; from += PER_FILE) {
            Path file = dir.resolve(String.format("%s-%05d.yaml", kind, from / PER_FILE));
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (int i = from; i < Math.min(count, from + PER_FILE); i++) {
                    w.write("---\n");
                    w.write(strip(yaml.asYaml(make.apply(i))));
                }
            }
        }
    }

    /** One YAML document per object: the serializer's own leading {@code ---} dropped, no empty status. */
    private static String strip(String doc) {
        String s = doc.startsWith("---\n") ? doc.substring(4) : doc;
        return s.replaceAll("(?m)^status: \\{}\\n|^status: null\\n", "");
    }

    /** Writes edit-r (path), edit-gs and edit-u (one target, {@code port}) to a temporary file, renamed over zz-edit.yaml. */
    private long writeEdit(Path dir, String path, int port) throws IOException {
        Upstream u = new Upstream();
        u.setMetadata(Generator.meta("edit-u"));
        u.setSpec(new UpstreamSpec());
        u.getSpec().targets = List.of(new UpstreamSpec.Target("127.0.0.1:" + port, null));
        GatewayService s = new GatewayService();
        s.setMetadata(Generator.meta("edit-gs"));
        s.setSpec(new GatewayServiceSpec());
        s.getSpec().upstreamRef = new ObjectRef("edit-u");
        GatewayRoute r = new GatewayRoute();
        r.setMetadata(Generator.meta("edit-r"));
        r.setSpec(new GatewayRouteSpec());
        r.getSpec().serviceRef = new ObjectRef("edit-gs");
        r.getSpec().paths = List.of(path);
        StringBuilder doc = new StringBuilder();
        for (HasMetadata o : List.of(u, s, r)) {
            doc.append("---\n").append(strip(yaml.asYaml(o)));
        }
        Path tmp = dir.resolve(".zz-edit.yaml.tmp");
        Files.writeString(tmp, doc);
        Files.move(tmp, dir.resolve("zz-edit.yaml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return System.currentTimeMillis();
    }

    /** Requests {@code path} every 10 ms until backend {@code name} answers it; ms since {@code from}, or -1. */
    private long await(int port, String path, String name, long from, Proc local, long timeoutMillis) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
        while (System.currentTimeMillis() - from < timeoutMillis) {
            try {
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() == 200 && res.body().equals(name)) {
                    return System.currentTimeMillis() - from;
                }
            } catch (IOException notYet) {
                if (!local.alive()) {
                    return -1;
                }
            }
            Thread.sleep(10);
        }
        return -1;
    }

    /** A backend on loopback answering every request 200 with its name. */
    private static HttpServer backend(String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        s.createContext("/", ex -> {
            try (ex; OutputStream out = ex.getResponseBody()) {
                ex.sendResponseHeaders(200, body.length);
                out.write(body);
            }
        });
        s.start();
        return s;
    }
}
