package dev.gatehouse.bench.scale;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Cluster mode: the generated cluster on the mock API server, then the controller and two proxies,
 * each a {@code gatehouse.jar} process of its own, over the real channel. Measures initial sync,
 * route edits and a paced rollout's endpoint changes (each: the API write → both proxies logged the
 * snapshot applied that carries it), the bytes published, the controller's CPU and the API writes
 * per change, and the heap after a full GC of each process. Between two route edits it waits until
 * the controller has stopped writing to the API (its status pass), so each is one change on a
 * settled system; how long that pass takes is a figure of its own. The rollout's writes are paced
 * by the clock, not by the system ({@link Rollout}).
 */
final class ClusterRun {
    /** The longest one change may take to reach both proxies before it counts as lost. */
    static final long CHANGE_TIMEOUT_MS = 120_000;
    private final Shape shape;
    private final Generator gen;
    private final Options options;
    private final Report report;

    /**
     * @param statusWritesPerSecond the controller's {@code --status-writes-per-second}, or 0 for its default
     * @param fillOnly              write the cluster into the API server and stop (the fill's time is the figure)
     * @param baselineProxyJar      the jar proxy B runs (another build, to compare heaps in one run), or null: the same jar
     * @param rolloutMillis         how long the rollout's writes are spread over ({@link Rollout})
     */
    record Options(Path jar, Path work, String controllerHeap, String proxyHeap, long phaseMillis, long syncMillis,
                   MockCluster.Api api, int statusWritesPerSecond, boolean fillOnly, Path baselineProxyJar, long rolloutMillis) {
    }

    ClusterRun(Shape shape, Options options, Report report) {
        this.shape = shape;
        this.gen = new Generator(shape);
        this.options = options;
        this.report = report;
    }

    void run() throws Exception {
        try (MockCluster api = new MockCluster(options.api())) {
            report.line("API server", options.api().describe() + ", in the harness's JVM, over HTTP and WebSocket on loopback");
            long t = System.currentTimeMillis();
            populate(api);
            long populated = System.currentTimeMillis() - t;
            api.awaitQuiet(300, 10_000); // the drainer has counted every create
            populatedWrites = api.writes.get();
            report.line("API objects written (harness → API server, 8 writers)",
                    String.format("%,d in %.1f s (%.2f ms per object; each create is one HTTP request)", api.writes.get(),
                            populated / 1000.0, populated / (double) Math.max(1, api.writes.get())));
            report.line("API server's own time per request while filling (dispatch: lookup, JSON, response; not the HTTP transfer)",
                    api.dispatchCost());
            if (options.fillOnly()) {
                return;
            }
            measure(api);
            report.line("API server's own time per request over the whole run (dispatch; watches counted once, at open)", api.dispatchCost());
        }
    }

    private void populate(MockCluster api) throws Exception {
        int w = 8;
        api.createAll(shape.upstreams(), Generator::service, w);
        List<EndpointSlice> slices = new ArrayList<>();
        for (int i = 0; i < shape.upstreams(); i++) {
            slices.addAll(gen.slices(i));
        }
        api.createAll(slices.size(), slices::get, w);
        api.createAll(shape.upstreams(), i -> gen.upstream(i, false), w);
        api.createAll(shape.services(), gen::gatewayService, w);
        api.createAll(shape.routes(), gen::route, w);
        api.createAll(shape.consumers(), Generator::secret, w);
        api.createAll(shape.consumers(), Generator::consumer, w);
    }

    private void measure(MockCluster api) throws Exception {
        Path token = options.work().resolve("token");
        Files.writeString(token, "scale-bench-channel-token-0123456789\n");
        int channelPort = Ports.free();
        Versions published = new Versions(Versions.PUBLISHED);
        Versions a = new Versions(Versions.APPLIED);
        Versions b = new Versions(Versions.APPLIED);
        Marks controllerMarks = new Marks("leader.acquired", "state.reconciled", "snapshot.published", "channel.publish",
                "status.startup_hold_released", "status.pass");
        Marks marksA = new Marks("channel.connected");
        Marks marksB = new Marks("channel.connected");
        Map<String, String> env = Map.of("KUBERNETES_MASTER", api.url(), "KUBERNETES_AUTH_TRYKUBECONFIG", "false",
                "KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false", "KUBERNETES_NAMESPACE", Generator.NS,
                "KUBERNETES_TRUST_CERTIFICATES", "true", "POD_NAME", "controller-0");
        long start = System.currentTimeMillis();
        try (Proc controller = Proc.start("controller", options.jar(), List.of("-Xmx" + options.controllerHeap()),
                List.of("controller", "--namespace", Generator.NS, "--channel-address", "127.0.0.1", "--channel-port",
                        Integer.toString(channelPort), "--token-file", token.toString(), "--status-address", "127.0.0.1",
                        "--status-port", Integer.toString(Ports.free()), "--lease-namespace", Generator.NS, "--no-gateway-api",
                        "--status-writes-per-second", Integer.toString(options.statusWritesPerSecond() > 0 ? options.statusWritesPerSecond() : 50)),
                env, options.work().resolve("controller.log"), (t, l) -> {
                    published.line(t, l);
                    controllerMarks.line(t, l);
                    statusPasses.line(t, l);
                    publishStages.line(t, l);
                });
             Proc proxyA = proxy("proxy-a", options.jar(), channelPort, token, a, marksA);
             Proc proxyB = proxy("proxy-b", options.baselineProxyJar() != null ? options.baselineProxyJar() : options.jar(),
                     channelPort, token, b, marksB)) {
            if (options.baselineProxyJar() != null) {
                report.line("proxy B", "runs " + options.baselineProxyJar() + " (--baseline-proxy-jar), proxy A and the controller "
                        + options.jar() + ": the two proxies' heaps compare the builds");
            }
            long va = a.awaitFigure(shape.routes(), options.syncMillis());
            long vb = b.awaitFigure(shape.routes(), Math.max(1, options.syncMillis() - (System.currentTimeMillis() - start)));
            if (va < 0 || vb < 0) {
                report.line("initial sync", "not within " + options.syncMillis() / 1000 + " s: proxies applied "
                        + a.latestFigure() + " and " + b.latestFigure() + " of " + shape.routes() + " routes (see the logs in "
                        + options.work() + ")");
                return;
            }
            long synced = Math.max(a.at(va), b.at(vb)) - start;
            // the hold ends on the proxies' answers, which come with the apply just seen: its line is on its way
            controllerMarks.await("status.startup_hold_released", 10_000);
            report.goal("initial sync: controller start → both proxies applied every route", String.format("%.1f s", synced / 1000.0),
                    "< 30 s", synced < 30_000);
            report.line("initial sync, where the time goes (from controller start)", "informers listed "
                    + controllerMarks.since("state.reconciled", start) + " (JVM start, every informer's list); first snapshot "
                    + "published " + controllerMarks.since("snapshot.published", start) + " (translation, content hash) and "
                    + "sent " + controllerMarks.since("channel.publish", start) + " (encoding); leader "
                    + controllerMarks.since("leader.acquired", start) + "; start-up status pass held until "
                    + controllerMarks.since("status.startup_hold_released", start) + "; proxies connected "
                    + marksA.since("channel.connected", start)
                    + " and " + marksB.since("channel.connected", start) + " (they retry with a backoff of up to 5 s until the "
                    + "channel listens); applied " + String.format("%.1f and %.1f s", (a.at(va) - start) / 1000.0, (b.at(vb) - start) / 1000.0));
            Long bytes = published.figure(va);
            report.line("snapshot on the wire (full, one frame per proxy)", bytes == null ? "—" : String.format("%,d bytes", bytes));
            // the start-up pass logs event=status.pass at its end; on a loaded machine its first write may come more than 2 s
            // after the hold's release (its plan, its pauses for the publish path), and "no write for 2 s" alone was then
            // read before it began: the route edits met the whole pass
            controllerMarks.await("status.pass", options.phaseMillis());
            long waitFrom = System.currentTimeMillis() - start;
            long quiet = api.awaitQuiet(2_000, options.phaseMillis());
            report.line("controller's writes to the API after start (status), until none for 2 s",
                    quiet < 0 ? String.format("%,d status writes, %,d writes in all, and still writing %.1f s after start (the "
                            + "phase's end): the changes below are measured during that pass", api.statusWrites.get(),
                            api.writes.get() - populatedWrites, (System.currentTimeMillis() - start) / 1000.0)
                            : String.format("%,d status writes, %,d writes in all; the last %.1f s after start", api.statusWrites.get(),
                            api.writes.get() - populatedWrites, (waitFrom + quiet) / 1000.0));
            heaps("after initial sync", controller, proxyA, proxyB);
            routeEdits(api, controller, published, a, b);
            rollout(api, controller, published, a, b, channelPort, Files.readString(token).strip());
            heaps("at the end", controller, proxyA, proxyB);
        }
    }

    private long populatedWrites;
    private final StatusPasses statusPasses = new StatusPasses();
    private final PublishStages publishStages = new PublishStages();

    /**
     * The endpoint path's stages per publish, from the controller's {@code event=snapshot.published
     * path=endpoints} lines (first change → the step's run, the translator's lock, the kept state,
     * the translation, the content hash; first change → published) and its {@code event=channel.publish}
     * line of the same version (published → sent: the delta built and encoded), by the log's own clock.
     */
    static final class PublishStages {
        private static final String[] STAGES = {"queued", "lock", "state", "translate", "hash", "since_change"};
        private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("version=(\\d+)");

        record Publish(long at, long logMillis, long[] micros) {
        }

        private final Map<String, Publish> byVersion = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<String, Long> sentMillis = new java.util.concurrent.ConcurrentHashMap<>();

        void line(long stamp, String line) {
            boolean published = line.contains("event=snapshot.published path=endpoints ");
            if (!published && !line.contains("event=channel.publish ")) {
                return;
            }
            java.util.regex.Matcher v = VERSION.matcher(line);
            long logMillis;
            try {
                logMillis = java.time.Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
            } catch (RuntimeException e) {
                return;
            }
            if (!v.find()) {
                return;
            }
            if (!published) {
                sentMillis.put(v.group(1), logMillis);
                return;
            }
            long[] micros = new long[STAGES.length];
            for (int i = 0; i < STAGES.length; i++) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile(" " + STAGES[i] + "_micros=(\\d+)").matcher(line);
                micros[i] = m.find() ? Long.parseLong(m.group(1)) : -1;
            }
            byVersion.put(v.group(1), new Publish(stamp, logMillis, micros));
        }

        /** The endpoint publishes logged from {@code from} to {@code to} (epoch ms), each stage's p50 / p99 in ms. */
        String describe(long from, long to) {
            Stats[] stats = new Stats[STAGES.length + 1];
            for (int i = 0; i < stats.length; i++) {
                stats[i] = new Stats();
            }
            int n = 0;
            for (Map.Entry<String, Publish> e : byVersion.entrySet()) {
                Publish p = e.getValue();
                if (p.at() < from || p.at() > to) {
                    continue;
                }
                n++;
                for (int i = 0; i < STAGES.length; i++) {
                    if (p.micros()[i] >= 0) {
                        stats[i].add(p.micros()[i] / 1000.0);
                    }
                }
                Long sent = sentMillis.get(e.getKey());
                if (sent != null) {
                    stats[STAGES.length].add(sent - p.logMillis());
                }
            }
            if (n == 0) {
                return "none logged";
            }
            StringBuilder out = new StringBuilder(n + " publishes, p50 / p99 ms:");
            String[] names = {"change → step run (queued)", "lock", "state", "translate", "hash", "change → published",
                    "published → sent (delta, encoding)"};
            for (int i = 0; i < stats.length; i++) {
                out.append(i == 0 ? " " : "; ").append(names[i]).append(' ').append(stats[i].count() == 0 ? "-"
                        : String.format("%.1f / %.1f", stats[i].percentile(50), stats[i].percentile(99)));
            }
            return out.toString();
        }
    }

    /**
     * The controller's status passes that wrote ({@code event=status.pass}): when, the plan (full or
     * narrowed), the objects it looked at and the CPU of the pass.
     */
    static final class StatusPasses {
        private static final java.util.regex.Pattern PASS = java.util.regex.Pattern.compile(
                "event=status\\.pass .*?plan=(\\w+) planned=(\\d+) cpu_ms=(\\d+)");

        record Pass(long at, String plan, long planned, long cpuMillis) {
        }

        private final List<Pass> passes = new java.util.concurrent.CopyOnWriteArrayList<>();

        void line(long stamp, String line) {
            if (line.contains("event=status.pass ")) {
                java.util.regex.Matcher m = PASS.matcher(line);
                if (m.find()) {
                    passes.add(new Pass(stamp, m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
                }
            }
        }

        /** The passes logged from {@code from} to {@code to} (epoch ms), described. */
        String describe(long from, long to) {
            Stats planned = new Stats();
            Stats cpu = new Stats();
            int narrowed = 0;
            int n = 0;
            for (Pass p : passes) {
                if (p.at() >= from && p.at() <= to) {
                    n++;
                    narrowed += "narrowed".equals(p.plan()) ? 1 : 0;
                    planned.add(p.planned());
                    cpu.add(p.cpuMillis());
                }
            }
            return n == 0 ? "none logged" : String.format("%d passes (%d narrowed, %d full); objects planned per pass %s; "
                    + "CPU per pass %s", n, narrowed, n - narrowed, planned.describe("objects"), cpu.describe("ms"));
        }
    }

    private Proc proxy(String id, Path jar, int channelPort, Path token, Versions applied, Marks marks) throws java.io.IOException {
        return Proc.start(id, jar, List.of("-Xmx" + options.proxyHeap()),
                List.of("proxy", "--controller", "ws://127.0.0.1:" + channelPort + "/v1/channel", "--token-file", token.toString(),
                        "--proxy-id", id, "--address", "127.0.0.1", "--port", Integer.toString(Ports.free()),
                        "--tls-port", Integer.toString(Ports.free()), "--status-port", Integer.toString(Ports.free()),
                        "--access-log", "off", "--drain-delay", "0s"),
                Map.of(), options.work().resolve(id + ".log"), (t, l) -> {
                    applied.line(t, l);
                    marks.line(t, l);
                });
    }

    private void heaps(String when, Proc controller, Proc proxyA, Proc proxyB) throws InterruptedException {
        double c = controller.heapAfterGcMiB();
        double pa = proxyA.heapAfterGcMiB();
        double pb = proxyB.heapAfterGcMiB();
        report.goal("controller heap after full GC, " + when, String.format("%.0f MiB (RSS %.0f MiB, -Xmx%s)", c, controller.rssMiB(),
                options.controllerHeap()), "< 1 GiB", c >= 0 && c < 1024);
        if (options.baselineProxyJar() != null) { // the goal is this build's: proxy A's
            report.goal("proxy heap after full GC, " + when + ": A (this build) and B (--baseline-proxy-jar)",
                    String.format("%.0f and %.0f MiB (RSS %.0f and %.0f MiB, -Xmx%s)", pa, pb, proxyA.rssMiB(), proxyB.rssMiB(),
                            options.proxyHeap()), "< 256 MiB (A)", pa >= 0 && pa < 256);
            return;
        }
        report.goal("proxy heap after full GC, " + when, String.format("%.0f and %.0f MiB (RSS %.0f and %.0f MiB, -Xmx%s)", pa, pb,
                proxyA.rssMiB(), proxyB.rssMiB(), options.proxyHeap()), "< 256 MiB", pa >= 0 && pb >= 0 && Math.max(pa, pb) < 256);
    }

    /** One change: made by {@code change}, timed until both proxies logged a newer version applied. */
    private final class Change {
        final Stats latency = new Stats();
        final Stats apiWrite = new Stats();
        final Stats toPublish = new Stats();
        final Stats publishToApplied = new Stats();
        final Stats bytes = new Stats();
        final Stats cpu = new Stats();
        final Stats writes = new Stats();
        final Stats settle = new Stats();
        int lost;

        void measure(MockCluster api, Proc controller, Versions published, Versions a, Versions b, Runnable change)
                throws InterruptedException {
            long before = Math.max(a.latest(), b.latest());
            long cpu0 = controller.cpuMillis();
            long writes0 = api.writes.get();
            long t = System.currentTimeMillis();
            change.run();
            apiWrite.add(System.currentTimeMillis() - t);
            long va = a.awaitAbove(before, CHANGE_TIMEOUT_MS);
            long vb = b.awaitAbove(before, Math.max(1, CHANGE_TIMEOUT_MS - (System.currentTimeMillis() - t)));
            if (va < 0 || vb < 0) {
                lost++;
            } else {
                long applied = Math.max(a.at(va), b.at(vb));
                latency.add(applied - t);
                Long at = published.at(va);
                if (at != null) {
                    toPublish.add(at - t);
                    publishToApplied.add(applied - at);
                }
                Long size = published.figure(va);
                if (size != null) {
                    bytes.add(size);
                }
            }
            long quiet = api.awaitQuiet(500, CHANGE_TIMEOUT_MS);
            settle.add(quiet < 0 ? CHANGE_TIMEOUT_MS : System.currentTimeMillis() - t - 500);
            cpu.add(controller.cpuMillis() - cpu0);
            writes.add(api.writes.get() - writes0);
        }

        void report(String what, String goal, long goalMs) {
            double p99 = latency.percentile(99);
            report.goal(what + " → both proxies applied", latency.describe("ms") + (lost > 0 ? ", " + lost + " not applied within "
                    + CHANGE_TIMEOUT_MS / 1000 + " s" : ""), goal, lost == 0 && latency.count() > 0 && p99 < goalMs);
            report.line(what + ": the API write itself (harness → API server, answered)", apiWrite.describe("ms"));
            report.line(what + ": API write → controller published (debounce, translation, hash, encoding)", toPublish.describe("ms"));
            report.line(what + ": published → both proxies applied (transfer, decode, validate, compile, swap)",
                    publishToApplied.describe("ms"));
            report.line(what + ": bytes per change on the channel (the whole snapshot, or the endpoint delta when only endpoints changed; before compression)", bytes.describe("bytes"));
            report.line(what + ": controller CPU per change (rebuild, publish, status pass)", cpu.describe("ms"));
            report.line(what + ": API writes per change (the edit, then status)", writes.describe("writes"));
            report.line(what + ": change → controller's API writes stop", settle.describe("ms"));
        }
    }

    private void routeEdits(MockCluster api, Proc controller, Versions published, Versions a, Versions b) throws InterruptedException {
        Change c = new Change();
        long end = System.currentTimeMillis() + options.phaseMillis();
        for (int e = 0; e < shape.edits() && System.currentTimeMillis() < end; e++) {
            String name = "r-" + ((long) e * 7919 % shape.routes());
            int priority = e + 1;
            // kubectl patch gatehouseroute r-k --type merge -p '{"spec":{"priority":n}}'
            c.measure(api, controller, published, a, b, () -> api.client.resources(GatewayRoute.class).inNamespace(Generator.NS)
                    .withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"priority\":" + priority + "}}"));
        }
        c.report("route edit", "p99 < 1 s", 1_000);
    }

    /**
     * The rollout ({@link Rollout}): the pods' EndpointSlice writes paced evenly over the
     * rollout's duration, whatever the controller and proxies do meanwhile; each timed change matched
     * by the {@link Observer} to the version that carries it, and timed from its write to both
     * proxies having applied that version. Counted: changes written, applied, lost.
     */
    private void rollout(MockCluster api, Proc controller, Versions published, Versions a, Versions b, int channelPort, String token)
            throws InterruptedException {
        Rollout r = new Rollout(shape, options.rolloutMillis());
        URI channel = URI.create("ws://127.0.0.1:" + channelPort + "/v1/channel");
        try (Observer observer = new Observer(channel, token, r.upstreamIds(), r)) {
            long held = Math.max(a.latest(), b.latest());
            long deadline = System.currentTimeMillis() + options.syncMillis();
            while (observer.version() < held && System.currentTimeMillis() < deadline) {
                Thread.sleep(50); // its first snapshot: the whole one, decoded in this JVM
            }
            if (observer.version() < held) {
                report.line("rollout", "not measured: the observer held no snapshot within " + options.syncMillis() / 1000 + " s");
                return;
            }
            api.awaitQuiet(500, CHANGE_TIMEOUT_MS); // the status pass after the observer connected
            long cpu0 = controller.cpuMillis();
            long writes0 = api.writes.get();
            long publishedBefore = published.latest();
            long t0 = System.currentTimeMillis();
            long written = r.write(api);
            r.awaitSeen(CHANGE_TIMEOUT_MS);
            long last = r.lastVersion();
            a.awaitAbove(last - 1, CHANGE_TIMEOUT_MS);
            b.awaitAbove(last - 1, CHANGE_TIMEOUT_MS);
            api.awaitQuiet(500, CHANGE_TIMEOUT_MS);
            long cpu = controller.cpuMillis() - cpu0;
            long controllerWrites = api.writes.get() - writes0 - r.steps.size() - r.untimedWrites;
            Stats latency = new Stats();
            Stats toPublish = new Stats();
            Stats publishToApplied = new Stats();
            Map<Long, Integer> perVersion = new java.util.TreeMap<>();
            int lost = 0;
            synchronized (r) {
                for (Rollout.Step step : r.steps) {
                    Long at = step.version < 0 ? null : a.firstAtOrAbove(step.version);
                    Long bt = step.version < 0 ? null : b.firstAtOrAbove(step.version);
                    if (at == null || bt == null) {
                        lost++;
                        continue;
                    }
                    long applied = Math.max(at, bt);
                    latency.add(applied - step.writtenAt);
                    perVersion.merge(step.version, 1, Integer::sum);
                    Long pub = published.at(step.version);
                    if (pub != null) {
                        toPublish.add(pub - step.writtenAt);
                        publishToApplied.add(applied - pub);
                    }
                }
            }
            Stats changesPerVersion = new Stats();
            perVersion.values().forEach(changesPerVersion::add);
            Stats bytes = new Stats();
            List<Long> versions = published.above(publishedBefore);
            for (long v : versions) {
                Long size = published.figure(v);
                if (size != null) {
                    bytes.add(size);
                }
            }
            int slots = 4 * (r.pods + 3);
            report.line("rollout", String.format("%,d pods replaced across %s, %,d EndpointSlice writes paced "
                            + "evenly over %.1f s (a slot every %.1f ms), written in %.1f s (%s, each Upstream's slices on one; the latest write "
                            + "issued %,d ms after its slot): each new endpoint joins not ready (not timed), "
                            + "becomes ready, then the old one is terminating, then removed (3 timed changes per pod, 4 pods in flight)",
                    r.pods, r.upstreams == 1 ? "1 Upstream (u-0)" : String.format("%,d Upstreams (u-0 … u-%d)", r.upstreams, r.upstreams - 1),
                    r.steps.size() + r.untimedWrites, r.millis / 1000.0,
                    r.millis / (double) slots, (written - t0) / 1000.0, Math.min(Rollout.WRITERS, r.upstreams) == 1 ? "1 writer" : Math.min(Rollout.WRITERS, r.upstreams) + " writers",
                    r.lateMillis.get()));
            report.line("rollout endpoint changes: written / applied by both proxies / lost", String.format("%,d written; %,d applied "
                    + "by both proxies; %,d lost (not seen in a version, or not applied by both, within %d s)", r.steps.size(),
                    latency.count(), lost, CHANGE_TIMEOUT_MS / 1000));
            report.goal("rollout endpoint change (write → both proxies applied the version carrying it)", latency.describe("ms"),
                    "p99 < 250 ms", lost == 0 && latency.count() > 0 && latency.percentile(99) < 250);
            report.line("rollout endpoint change: write → controller published (debounce, translation, hash, encoding)",
                    toPublish.describe("ms"));
            report.line("rollout endpoint change: published → both proxies applied (transfer, decode, validate, swap)",
                    publishToApplied.describe("ms"));
            report.line("rollout: versions published while it ran and settled; changes carried per version",
                    String.format("%,d versions; %s", versions.size(), changesPerVersion.describe("changes")));
            report.line("rollout: bytes per version on the channel (the delta; before compression)", bytes.describe("bytes"));
            report.line("rollout: controller CPU, the rollout and its status pass", String.format("%,d ms in all, %.1f ms per timed change",
                    cpu, cpu / (double) Math.max(1, r.steps.size())));
            report.line("rollout: the controller's API writes (status) while it ran and settled", String.format("%,d", controllerWrites));
            report.line("rollout: the controller's status passes that wrote (event=status.pass: plan, objects planned, CPU of the pass)",
                    statusPasses.describe(t0, System.currentTimeMillis()));
            report.line("rollout: the controller's stages per endpoint publish (its log: event=snapshot.published path=endpoints, "
                    + "event=channel.publish)", publishStages.describe(t0, System.currentTimeMillis()));
        }
    }
}
