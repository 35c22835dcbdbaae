package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.ProxyServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Figures, not a check: where one route edit's apply goes on the proxy, at the scale issue's full
 * size ({@link ObjectDeltaScaleTest#fullSize()}). A real {@link SnapshotApplier} in front of a real
 * {@link ProxyServer} applies 60 one-route edits, the last 50 under a JFR recording of the apply
 * thread alone; printed: the apply's median, min and max, then the frames most often on top of
 * the CPU samples and of the allocation samples (by weight), and the proxy methods most often on
 * the stack. Off by default; run with {@code -Dgatehouse.scale=true -Dtest=RouteEditApplyMeasure}.
 * Single-process timings on a shared machine: upper bounds, printed with the load average.
 */
@EnabledIfSystemProperty(named = "gatehouse.scale", matches = "true")
class RouteEditApplyMeasure {
    private static final int WARM = 10;
    private static final int EDITS = 50;

    @Test
    void profile() throws Exception {
        Snapshot full = ObjectDeltaScaleTest.fullSize();
        ProxyServer proxy = ProxyServer.start(Fixtures.oneLoopConfig(), new SimpleMeterRegistry());
        Path jfr = Files.createTempFile("route-edit-apply", ".jfr");
        try (Recording recording = new Recording()) {
            SnapshotApplier applier = new SnapshotApplier(proxy, null);
            ContentHash.Digests digests = ContentHash.of(full, null);
            assertThat(applier.receive(new SnapshotPush(ChannelMessage.PROTOCOL, 1, digests.hash(), null, full)))
                    .isInstanceOf(Ack.class);
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            recording.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s");
            Snapshot current = full;
            long[] nanos = new long[EDITS];
            long[][] windows = new long[EDITS][];
            for (int n = 0; n < WARM + EDITS; n++) {
                Snapshot next = ObjectDeltaScaleTest.edit(current, n);
                ContentHash.Digests nextDigests = ContentHash.of(next, digests);
                ObjectDelta delta = ObjectDiff.between(current, current.version(), digests.hash(), next, nextDigests.hash(), null,
                        0.5);
                if (n == WARM) {
                    System.gc();
                    recording.start();
                }
                long start = System.nanoTime();
                java.time.Instant from = java.time.Instant.now();
                ChannelMessage answer = applier.receive(delta);
                if (n >= WARM) {
                    nanos[n - WARM] = System.nanoTime() - start;
                    windows[n - WARM] = new long[] {toMicros(from), toMicros(java.time.Instant.now())};
                }
                assertThat(answer).isInstanceOf(Ack.class);
                current = proxy.current();
                digests = nextDigests;
            }
            recording.stop();
            recording.dump(jfr);
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            System.out.printf("route edit apply (delta received to ACK): median %.2f ms min %.2f ms max %.2f ms (%d runs) load=%s%n",
                    sorted[EDITS / 2] / 1e6, sorted[0] / 1e6, sorted[EDITS - 1] / 1e6, EDITS,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            report(jfr, Thread.currentThread().getName(), windows);
        } finally {
            Files.deleteIfExists(jfr);
            proxy.close();
        }
    }

    private static long toMicros(java.time.Instant i) {
        return i.getEpochSecond() * 1_000_000 + i.getNano() / 1_000;
    }

    /** Whether {@code e} happened during one of the applies (the test's own diffing and hashing left out). */
    private static boolean inApply(RecordedEvent e, long[][] windows) {
        long at = toMicros(e.getStartTime());
        for (long[] w : windows) {
            if (at >= w[0] && at <= w[1]) {
                return true;
            }
        }
        return false;
    }

    private static void report(Path jfr, String thread, long[][] windows) throws Exception {
        Map<String, Long> top = new HashMap<>();
        Map<String, Long> onStack = new HashMap<>();
        Map<String, Long> allocTop = new HashMap<>();
        long samples = 0;
        long allocated = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            boolean cpu = e.getEventType().getName().equals("jdk.ExecutionSample");
            var t = cpu ? e.getThread("sampledThread") : e.getThread();
            if (t == null || !thread.equals(t.getJavaName()) || e.getStackTrace() == null || !inApply(e, windows)) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) {
                continue;
            }
            if (cpu) {
                samples++;
                top.merge(name(frames.get(0)), 1L, Long::sum);
                frames.stream().map(RouteEditApplyMeasure::name).filter(f -> f.startsWith("dev.gatehouse")).distinct()
                        .forEach(f -> onStack.merge(f, 1L, Long::sum));
            } else {
                long weight = e.getLong("weight");
                allocated += weight;
                String site = frames.stream().map(RouteEditApplyMeasure::name).filter(f -> f.startsWith("dev.gatehouse"))
                        .findFirst().orElse(name(frames.get(0)));
                allocTop.merge(site, weight, Long::sum);
            }
        }
        System.out.println("CPU samples on the apply thread: " + samples);
        print("top frame", top, samples, 15);
        print("proxy/config method on the stack", onStack, samples, 25);
        System.out.printf("allocation sampled: %.1f MB per edit%n", allocated / 1e6 / EDITS);
        print("allocating gatehouse method (weight)", allocTop, allocated, 15);
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void print(String what, Map<String, Long> counts, long total, int limit) {
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(limit)
                .forEach(e -> System.out.printf("  %-40s %5.1f %%  %s%n", what, 100.0 * e.getValue() / Math.max(1, total), e.getKey()));
    }
}
