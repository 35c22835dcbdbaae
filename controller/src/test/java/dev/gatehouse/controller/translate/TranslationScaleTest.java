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
    private static final TlsSettings TLS = new TlsSettings(null, Instant.parse("2026-06-01T00:00:00Z"));

    @Test
    void figures() {
        ScaleFixture f = ScaleFixture.FULL;
        ClusterState state = f.state();
        System.out.println("fixture " + state);
        for (int i = 0; i < 3; i++) {
            Translator.translate(state, TLS); // warm up
        }
        print("full translation", median(() -> Translator.translate(state, TLS)));
        steps(state);
        print("ClusterState construction", median(() -> new ClusterState(state.upstreams(), state.services(), state.routes(),
                state.consumers(), new ArrayList<>(state.kubeServices()), new ArrayList<>(state.endpointSlices()), state.secrets())));
        System.out.println("load average " + loadAverage());
    }

    private static void steps(ClusterState state) {
        long[][] t = new long[9][RUNS];
        for (int run = 0; run < RUNS; run++) {
            TranslationContext ctx = new TranslationContext();
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
