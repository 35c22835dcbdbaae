package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.controller.publish.SnapshotVersions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Figures, not a check: one route edit's path through the controller at the scale issue's full
 * size, from the informer event to the published message, by phase, as the rebuild runs them:
 * the event applied to the kept state ({@link ClusterStore#upsert}), the state taken
 * ({@link ClusterStore#state}), the incremental translation, numbering and hashing
 * ({@link SnapshotVersions#next}), the object delta's diff ({@link ObjectDiff#between} and
 * {@link EndpointDiff#fromObjects}, as the channel's {@code Published} makes it) and its encoding.
 * The hold-off before the rebuild (the debouncer's) and the status pass after it are not in it.
 * {@value #EVENTS} edits, alternating between two versions of one route, after as many to warm the
 * JIT; per phase the median and min–max of the thread's CPU. Off by default; run with
 * {@code -Dgatehouse.scale=true -Dtest=RouteEditScaleTest} (add a JFR recording through
 * {@code -DargLine=-XX:StartFlightRecording=...} to see the frames). Single-process timings on a
 * shared machine, printed with the load average.
 */
@EnabledIfSystemProperty(named = "gatehouse.scale", matches = "true")
class RouteEditScaleTest {
    private static final int EVENTS = Integer.getInteger("gatehouse.scale.events", 50);
    private static final int ROUTES = 2; // ClusterStore.Kind order: upstreams, services, routes, consumers, Services, slices, secrets
    private static final String[] PHASES = {"event applied to the kept state", "state taken", "translate (incremental)",
            "number and hash", "object delta diff", "delta encoded", "whole path"};
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    @Test
    void figures() {
        ScaleFixture f = ScaleFixture.FULL;
        ClusterState base = f.state();
        List<List<? extends HasMetadata>> kinds = ScaleObjects.kinds(base);
        long[] rv = {1};
        ClusterStore store = new ClusterStore();
        List<ClusterStore.Feed> feeds = ScaleObjects.fill(store, kinds, rv);
        IncrementalTranslator translator = new IncrementalTranslator(Integer.MAX_VALUE);
        SnapshotVersions versions = new SnapshotVersions(() -> 0);
        Snapshot[] published = {versions.next(translator.translate(store.state(), IngressSelection.DEFAULT,
                TranslationScaleTest.TLS).snapshot())};
        HasMetadata routeA = ScaleObjects.stamp(f.route(5_001, "/edited-a"), rv);
        HasMetadata routeB = ScaleObjects.stamp(f.route(5_001, "/edited-b"), rv);
        int[] bytes = new int[1];
        for (int round = 0; round < 2; round++) { // the first round warms the JIT; the second is printed
            long[][] cpu = new long[PHASES.length][EVENTS];
            for (int i = 0; i < EVENTS; i++) {
                HasMetadata edit = ScaleObjects.fresh(i % 2 == 0 ? routeA : routeB, rv);
                long[] at = new long[PHASES.length];
                at[0] = CPU.getCurrentThreadCpuTime();
                store.upsert(feeds.get(ROUTES), edit);
                at[1] = CPU.getCurrentThreadCpuTime();
                ClusterState state = store.state();
                at[2] = CPU.getCurrentThreadCpuTime();
                Translation t = translator.translate(state, IngressSelection.DEFAULT, TranslationScaleTest.TLS);
                at[3] = CPU.getCurrentThreadCpuTime();
                Snapshot next = versions.next(t.snapshot());
                assertThat(next).as("edit %s changed the snapshot", i).isNotNull();
                at[4] = CPU.getCurrentThreadCpuTime();
                Snapshot before = published[0];
                ObjectDelta delta = ObjectDiff.between(before, before.version(), "base", next, versions.lastHash(), null, 0.5);
                assertThat(delta).isNotNull();
                assertThat(delta.count()).as("objects put or removed").isEqualTo(1);
                assertThat(EndpointDiff.fromObjects(before, delta)).isNull();
                at[5] = CPU.getCurrentThreadCpuTime();
                bytes[0] = ChannelCodec.encode(delta).length;
                long end = CPU.getCurrentThreadCpuTime();
                published[0] = next;
                for (int p = 0; p < PHASES.length - 1; p++) {
                    cpu[p][i] = (p + 1 < PHASES.length - 1 ? at[p + 1] : end) - at[p];
                }
                cpu[PHASES.length - 1][i] = end - at[0];
            }
            if (round == 1) {
                for (int p = 0; p < PHASES.length; p++) {
                    long[] s = cpu[p];
                    Arrays.sort(s);
                    System.out.printf("figure route edit, %-40s CPU median %7.2f ms, min %7.2f, max %7.2f (%d edits)%n",
                            PHASES[p], s[s.length / 2] / 1e6, s[0] / 1e6, s[s.length - 1] / 1e6, s.length);
                }
                System.out.println("figure route edit, delta message " + bytes[0] + " bytes");
            }
        }
        System.out.println("load average " + TranslationScaleTest.loadAverage());
    }


}
