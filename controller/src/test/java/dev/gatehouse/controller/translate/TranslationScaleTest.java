package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Figures, not a check: the translation of the scale issue's cluster (10 000 routes, 50 000
 * endpoints, ...), step by step, and a full against an incremental translation after one event.
 * Off by default (it takes a minute and a few hundred MB); run with
 * {@code -Dgatehouse.scale=true -Dtest=TranslationScaleTest}. Single-process timings on a shared
 * machine: upper bounds, printed with the load average.
 */
@EnabledIfSystemProperty(named = "gatehouse.scale", matches = "true")
class TranslationScaleTest {
    private static final int RUNS = 9;
    static final TlsSettings TLS = new TlsSettings(null, Instant.parse("2026-06-01T00:00:00Z"));

    @Test
    void figures() {
        ScaleFixture f = ScaleFixture.FULL;
        ClusterState state = f.state();
        System.out.println("fixture " + state);
        for (int i = 0; i < 3; i++) {
            Translator.translate(state, TLS); // warm up
        }
        print("full translation", median(() -> Translator.translate(state, TLS)));
        steps(state, null);
        TranslationMemo memo = new TranslationMemo();
        memo.begin();
        TranslationContext first = new TranslationContext();
        first.memo = memo;
        Translator.run(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS, first, false);
        memo.end();
        System.out.println("figure (the steps again with every object's outcome kept, nothing changed)");
        steps(state, memo);
        print("ClusterState construction", median(() -> new ClusterState(state.upstreams(), state.services(), state.routes(),
                state.consumers(), new ArrayList<>(state.kubeServices()), new ArrayList<>(state.endpointSlices()), state.secrets())));
        events(f, state);
        System.out.println("load average " + loadAverage());
    }

    /**
     * One event at a time, each translated incrementally and from scratch: states alternate
     * between two versions of one object, so every translation has a change to take in.
     */
    private static void events(ScaleFixture f, ClusterState base) {
        int k = 5_001;
        List<dev.gatehouse.api.v1alpha1.GatewayRoute> routesA = new ArrayList<>(base.routes());
        List<dev.gatehouse.api.v1alpha1.GatewayRoute> routesB = new ArrayList<>(base.routes());
        routesA.set(k, f.route(k, "/edited-a"));
        routesB.set(k, f.route(k, "/edited-b"));
        event("one route edit", base, s -> with(s, routesA, null, null), s -> with(s, routesB, null, null));

        int svc = 77;
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slicesA = new ArrayList<>(base.endpointSlices());
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slicesB = new ArrayList<>(base.endpointSlices());
        int at = -1;
        for (int i = 0; i < base.endpointSlices().size(); i++) {
            if (base.endpointSlices().get(i).getMetadata().getName().equals("svc-" + svc + "-0")) {
                at = i;
            }
        }
        slicesA.set(at, f.slices(svc, 1).get(0));
        slicesB.set(at, f.slices(svc, 2).get(0));
        event("one endpoint change (a slice)", base, s -> with(s, null, slicesA, null), s -> with(s, null, slicesB, null));

        int m = 4_321;
        List<io.fabric8.kubernetes.api.model.Secret> secretsA = new ArrayList<>(base.secrets());
        List<io.fabric8.kubernetes.api.model.Secret> secretsB = new ArrayList<>(base.secrets());
        secretsA.set(m, ScaleFixture.secret(m, "rotated-a-" + m));
        secretsB.set(m, ScaleFixture.secret(m, "rotated-b-" + m));
        event("one consumer key change", base, s -> with(s, null, null, secretsA), s -> with(s, null, null, secretsB));
    }

    private static ClusterState with(ClusterState s, List<dev.gatehouse.api.v1alpha1.GatewayRoute> routes,
                                     List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slices,
                                     List<io.fabric8.kubernetes.api.model.Secret> secrets) {
        return new ClusterState(s.upstreams(), s.services(), routes == null ? s.routes() : routes, s.consumers(),
                new ArrayList<>(s.kubeServices()), slices == null ? new ArrayList<>(s.endpointSlices()) : slices,
                secrets == null ? s.secrets() : secrets);
    }

    private static void event(String name, ClusterState base, java.util.function.UnaryOperator<ClusterState> a,
                              java.util.function.UnaryOperator<ClusterState> b) {
        IncrementalTranslator incremental = new IncrementalTranslator(Integer.MAX_VALUE);
        incremental.translate(base, IngressSelection.DEFAULT, TLS);
        long[] inc = new long[RUNS];
        long[] full = new long[RUNS];
        long[] incCpu = new long[RUNS];
        long[] fullCpu = new long[RUNS];
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] built = new long[4];
        String[] kinds = {"Upstream", "GatewayService", "Consumer", "GatewayRoute"};
        for (int k = 0; k < kinds.length; k++) {
            built[k] = incremental.built(kinds[k]);
        }
        Translation last = null;
        for (int i = 0; i < RUNS + 2; i++) {
            ClusterState state = (i % 2 == 0 ? a : b).apply(base);
            long startCpu = cpu.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            Translation t = incremental.translate(state, IngressSelection.DEFAULT, TLS);
            long mid = System.nanoTime();
            long midCpu = cpu.getCurrentThreadCpuTime();
            Translation f = Translator.translate(state, TLS);
            long end = System.nanoTime();
            long endCpu = cpu.getCurrentThreadCpuTime();
            if (IncrementalTranslator.difference(t, f) != null) {
                throw new AssertionError(name + ": incremental differs from full: " + IncrementalTranslator.difference(t, f));
            }
            if (i >= 2) {
                inc[i - 2] = mid - start;
                full[i - 2] = end - mid;
                incCpu[i - 2] = midCpu - startCpu;
                fullCpu[i - 2] = endCpu - midCpu;
            }
            if (last != null && i == RUNS + 1) {
                long sameRoutes = 0;
                for (int r = 0; r < t.snapshot().routes().size(); r++) {
                    sameRoutes += t.snapshot().routes().get(r) == last.snapshot().routes().get(r) ? 1 : 0;
                }
                System.out.println("figure " + name + ": routes reused by identity " + sameRoutes + " of " + t.snapshot().routes().size());
            }
            last = t;
        }
        StringBuilder work = new StringBuilder();
        for (int k = 0; k < kinds.length; k++) {
            work.append(kinds[k]).append('=').append((incremental.built(kinds[k]) - built[k]) / (RUNS + 2)).append(' ');
        }
        Arrays.sort(inc);
        Arrays.sort(full);
        Arrays.sort(incCpu);
        Arrays.sort(fullCpu);
        print(name + ", full", full[RUNS / 2]);
        print(name + ", full (thread CPU)", fullCpu[RUNS / 2]);
        print(name + ", incremental", inc[RUNS / 2]);
        print(name + ", incremental (thread CPU)", incCpu[RUNS / 2]);
        System.out.println("figure " + name + ": translated anew per event: " + work.toString().trim());
    }

    private static void steps(ClusterState state, TranslationMemo memo) {
        long[][] t = new long[9][RUNS];
        for (int run = 0; run < RUNS; run++) {
            TranslationContext ctx = new TranslationContext();
            ctx.memo = memo;
            if (memo != null) {
                memo.begin();
            }
            long a = System.nanoTime();
            UpstreamStep.run(state, ctx);
            long b = System.nanoTime();
            ServiceStep.run(state, ctx);
            long c = System.nanoTime();
            ConsumerStep.run(state, ctx);
            long d = System.nanoTime();
            RouteStep.run(state, ctx);
            long e = System.nanoTime();
            IngressStep.run(state, IngressSelection.DEFAULT, ctx);
            GatewayStep.run(state, GatewaySelection.DEFAULT, TLS, ctx);
            CertificateStep.run(state, TLS, ctx);
            long g = System.nanoTime();
            Snapshot s = new Snapshot(0, new ArrayList<>(ctx.services.values()), ctx.routes,
                    new ArrayList<>(ctx.upstreams.values()), new ArrayList<>(ctx.consumers.values()),
                    new ArrayList<>(ctx.certificates.values()));
            s.validate();
            long h = System.nanoTime();
            ctx.statuses();
            long i = System.nanoTime();
            if (memo != null) {
                memo.end();
            }
            long[] d0 = {b - a, c - b, d - c, e - d, g - e, h - g, i - h};
            for (int k = 0; k < d0.length; k++) {
                t[k][run] = d0[k];
            }
        }
        String[] names = {"UpstreamStep", "ServiceStep", "ConsumerStep", "RouteStep", "Ingress+Gateway+Certificate steps",
                "Snapshot + validate()", "statuses()"};
        for (int k = 0; k < names.length; k++) {
            Arrays.sort(t[k]);
            print("  " + names[k], t[k][RUNS / 2]);
        }
    }

    static long median(Supplier<?> work) {
        long[] t = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            work.get();
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[RUNS / 2];
    }

    static void print(String what, long nanos) {
        System.out.printf("figure %-40s %8.1f ms%n", what, nanos / 1e6);
    }

    static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

}
