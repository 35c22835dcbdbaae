package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Figures, not a check: what the controller's rebuild costs after one event at the scale issue's
 * size, the way it was (every informer cache listed, a {@link ClusterState} built and indexed
 * from the lists) against the kept state ({@link ClusterStore}: the event applied, the state
 * taken), both translated by one {@link IncrementalTranslator} as the controller keeps it. 50
 * events each, alternating between two versions of one object; median and min–max. Off by
 * default; run with {@code -Dgatehouse.scale=true -Dtest=RebuildScaleTest}. Single-process
 * timings on a shared machine, printed with the load average.
 */
@EnabledIfSystemProperty(named = "gatehouse.scale", matches = "true")
class RebuildScaleTest {
    private static final int EVENTS = 50;

    @Test
    void figures() {
        ScaleFixture f = ScaleFixture.FULL;
        ClusterState base = f.state();
        long[] rv = {1};
        List<List<? extends HasMetadata>> kinds = ScaleObjects.kinds(base);
        for (List<? extends HasMetadata> kind : kinds) {
            for (HasMetadata o : kind) {
                ScaleObjects.stamp(o, rv);
            }
        }
        startTranslation(base);
        int k = 5_001;
        HasMetadata routeA = ScaleObjects.stamp(f.route(k, "/edited-a"), rv);
        HasMetadata routeB = ScaleObjects.stamp(f.route(k, "/edited-b"), rv);
        HasMetadata sliceA = ScaleObjects.stamp(f.slices(77, 1).get(0), rv);
        HasMetadata sliceB = ScaleObjects.stamp(f.slices(77, 2).get(0), rv);
        for (int round = 0; round < 2; round++) { // the first round warms the JIT; the second is printed
            boolean print = round == 1;
            rebuilds("one route edit", kinds, 2, routeA, routeB, rv, print);
            rebuilds("one EndpointSlice change", kinds, 5, sliceA, sliceB, rv, print);
        }
        System.out.println("load average " + TranslationScaleTest.loadAverage());
    }

    /**
     * The controller's first translation, in this cold JVM: the incremental one (nothing kept yet,
     * every object built) and the full one the start used to compare it with.
     */
    private static void startTranslation(ClusterState state) {
        long start = System.nanoTime();
        new IncrementalTranslator(Integer.MAX_VALUE).translate(state, IngressSelection.DEFAULT, TranslationScaleTest.TLS);
        long mid = System.nanoTime();
        Translator.translate(state, TranslationScaleTest.TLS);
        long end = System.nanoTime();
        System.out.printf("figure %-62s %6.1f ms%n", "first translation, cold JVM: incremental", (mid - start) / 1e6);
        System.out.printf("figure %-62s %6.1f ms%n", "then the full one it was compared with", (end - mid) / 1e6);
    }

    private static void rebuilds(String name, List<List<? extends HasMetadata>> kinds, int changed, HasMetadata a, HasMetadata b,
                                 long[] rv, boolean print) {
        // before: the informer caches (Fabric8 keeps each in a ConcurrentHashMap) listed and indexed at every rebuild
        List<Map<String, HasMetadata>> caches = new ArrayList<>();
        for (List<? extends HasMetadata> kind : kinds) {
            Map<String, HasMetadata> cache = new ConcurrentHashMap<>();
            kind.forEach(o -> cache.put(Sources.key(o), o));
            caches.add(cache);
        }
        IncrementalTranslator before = new IncrementalTranslator(Integer.MAX_VALUE);
        before.translate(fromCaches(caches), IngressSelection.DEFAULT, TranslationScaleTest.TLS);
        long[][] beforeNanos = ScaleTiming.time(EVENTS, i -> {
            HasMetadata o = ScaleObjects.fresh(i % 2 == 0 ? a : b, rv);
            caches.get(changed).put(Sources.key(o), o);
            before.translate(fromCaches(caches), IngressSelection.DEFAULT, TranslationScaleTest.TLS);
        });
        // after: the event applied to the kept state, the state taken
        ClusterStore store = new ClusterStore();
        List<ClusterStore.Feed> feeds = ScaleObjects.fill(store, kinds, null);
        IncrementalTranslator after = new IncrementalTranslator(Integer.MAX_VALUE);
        after.translate(store.state(), IngressSelection.DEFAULT, TranslationScaleTest.TLS);
        long[][] afterNanos = ScaleTiming.time(EVENTS, i -> {
            store.upsert(feeds.get(changed), ScaleObjects.fresh(i % 2 == 0 ? a : b, rv));
            after.translate(store.state(), IngressSelection.DEFAULT, TranslationScaleTest.TLS);
        });
        if (print) {
            ScaleTiming.print(name + ", before (caches listed)", beforeNanos, "events");
            ScaleTiming.print(name + ", after (kept state)", afterNanos, "events");
        }
    }

    private static ClusterState fromCaches(List<Map<String, HasMetadata>> caches) {
        return new ClusterState(list(caches.get(0)), list(caches.get(1)), list(caches.get(2)), list(caches.get(3)),
                list(caches.get(4)), list(caches.get(5)), list(caches.get(6)));
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Map<String, HasMetadata> cache) {
        return (List<T>) new ArrayList<>(cache.values());
    }


}
