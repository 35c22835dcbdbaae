package dev.gatehouse.controller.translate;

import dev.gatehouse.controller.publish.SnapshotVersions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Figures, not a check: the controller's CPU for one pure EndpointSlice change at the scale
 * issue's size (10 000 routes, 5 000 GatewayServices, 2 000 Upstreams, 50 000 endpoints, 10 000
 * Consumers), from the event applied to the kept state to the versioned snapshot with its content
 * hash, as a rebuild does it (a whole incremental translation: every object looked at, the one
 * Upstream translated again) against the endpoint path ({@link IncrementalTranslator#endpoints}:
 * the Upstream that reads the Service alone). The channel's delta encoding after it is the same for
 * both and not counted. 50 changes each, alternating between two versions of one slice; median
 * and min–max, wall clock and the thread's CPU. Off by default; run with
 * {@code -Dgatehouse.scale=true -Dtest=EndpointPathScaleTest}. Single-process timings on a
 * shared machine, printed with the load average.
 */
@EnabledIfSystemProperty(named = "gatehouse.scale", matches = "true")
class EndpointPathScaleTest {
    private static final int EVENTS = 50;
    private static final int SLICES = 5; // ClusterStore.Kind order: upstreams, services, routes, consumers, Services, slices, secrets

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
        versions.next(translator.translate(store.state(), IngressSelection.DEFAULT, TranslationScaleTest.TLS).snapshot());
        HasMetadata sliceA = ScaleObjects.stamp(f.slices(77, 1).get(0), rv);
        HasMetadata sliceB = ScaleObjects.stamp(f.slices(77, 2).get(0), rv);
        Set<String> service = Set.of(ScaleFixture.NS + "/svc-77");
        for (int round = 0; round < 2; round++) { // the first round warms the JIT; the second is printed
            long[][] rebuild = ScaleTiming.time(EVENTS, i -> {
                store.upsert(feeds.get(SLICES), ScaleObjects.fresh(i % 2 == 0 ? sliceA : sliceB, rv));
                Translation t = translator.translate(store.state(), IngressSelection.DEFAULT, TranslationScaleTest.TLS);
                assertThat(versions.next(t.snapshot())).isNotNull();
            });
            long[][] path = ScaleTiming.time(EVENTS, i -> {
                store.upsert(feeds.get(SLICES), ScaleObjects.fresh(i % 2 == 0 ? sliceA : sliceB, rv));
                EndpointChange c = translator.endpoints(store.state(), service);
                assertThat(c.needsFullTranslation()).as("declined: %s", c.fallback()).isFalse();
                assertThat(versions.next(c.translation().snapshot())).isNotNull();
            });
            if (round == 1) {
                ScaleTiming.print("one EndpointSlice change, whole rebuild", rebuild, "changes");
                ScaleTiming.print("one EndpointSlice change, endpoint path", path, "changes");
            }
        }
        System.out.println("load average " + TranslationScaleTest.loadAverage());
    }



}
