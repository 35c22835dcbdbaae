package dev.gatehouse.bench.scale;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The rollout's plan (which pods, Upstreams and slices) and how a version's targets are matched to its changes. */
class RolloutTest {
    /** 4 Upstreams of 25 endpoints each. */
    private static Shape shape(int rollout) {
        return new Shape(10, 10, 4, 100, 1, 1, rollout);
    }

    @Test
    void podsSpreadOverAsFewUpstreamsAsHoldThemEachReplacingADistinctEndpoint() {
        Rollout r = new Rollout(shape(50), 30_000);
        assertThat(r.upstreams).isEqualTo(2);
        assertThat(r.upstreamIds()).containsExactly("default/u-0", "default/u-1");
        Set<String> olds = new HashSet<>();
        Set<String> fresh = new HashSet<>();
        Generator gen = new Generator(shape(50));
        for (int p = 0; p < 50; p++) {
            int u = p % 2;
            String old = r.oldAddress(p);
            assertThat(old).isEqualTo(Shape.address(gen.firstEndpoint(u) + p / 2));
            assertThat(r.slice(p)).isEqualTo("svc-" + u + "-0");
            olds.add(old);
            fresh.add(r.newAddress(p));
        }
        assertThat(olds).hasSize(50);
        assertThat(fresh).hasSize(50).doesNotContainAnyElementsOf(olds);
        for (int n = 0; n < 100; n++) {
            assertThat(fresh).doesNotContain(Shape.address(n));
        }
    }

    @Test
    void everyEndpointCanBeRolledEvenUnevenlySpread() {
        Shape all = new Shape(10, 10, 4, 101, 1, 1, 101); // u-0 holds 26, the others 25
        Rollout r = new Rollout(all, 30_000);
        assertThat(r.upstreams).isEqualTo(4);
        Set<String> olds = new HashSet<>();
        for (int p = 0; p < 101; p++) {
            olds.add(r.oldAddress(p));
        }
        Set<String> generated = new HashSet<>();
        for (int n = 0; n < 101; n++) {
            generated.add(Shape.address(n));
        }
        assertThat(olds).isEqualTo(generated);
    }

    @Test
    void aVersionCarriesTheChangesItsTargetsShowAndACoalescedRemovalCarriesTheTerminatingBeforeIt() {
        Rollout r = new Rollout(shape(4), 1_000);
        Rollout.Step ready = new Rollout.Step("default/u-0", "10.9.9.9", true, 1);
        Rollout.Step terminating = new Rollout.Step("default/u-0", "10.0.0.1", false, 1);
        Rollout.Step removed = new Rollout.Step("default/u-0", "10.0.0.1", false, 2);
        Rollout.Step other = new Rollout.Step("default/u-1", "10.0.0.26", false, 1);
        r.register(ready);
        r.register(terminating);
        r.register(removed);
        r.register(other);

        r.seen(5, Map.of("default/u-0", Map.of("10.9.9.9", 0, "10.0.0.1", 100))); // joined, not ready yet: weight 0
        assertThat(ready.version).as("weight 0 is not ready").isEqualTo(-1);

        r.seen(6, Map.of("default/u-0", Map.of("10.9.9.9", 100, "10.0.0.1", 100)));
        assertThat(ready.version).isEqualTo(6);
        assertThat(terminating.version).isEqualTo(-1);

        r.seen(7, Map.of("default/u-0", Map.of("10.9.9.9", 100))); // terminating and removal in one version
        assertThat(terminating.version).isEqualTo(7);
        assertThat(removed.version).isEqualTo(7);
        assertThat(other.version).as("another Upstream's change").isEqualTo(-1);

        r.seen(8, Map.of("default/u-1", Map.of("10.0.0.26", 0)));
        assertThat(other.version).isEqualTo(8);
        assertThat(r.lastVersion()).isEqualTo(8);
    }
}
