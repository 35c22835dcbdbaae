package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Upstream.Target;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Weights across Services kept exactly in per-pod weights. */
class GatewayBackendsTest {
    static List<Target> pods(String prefix, int n) {
        List<Target> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new Target(prefix + i, 8080, Target.DEFAULT_WEIGHT));
        }
        return out;
    }

    /** The summed weight of each backend's pods (hosts named by prefix). */
    static Map<String, Long> sums(List<Target> targets) {
        Map<String, Long> out = new HashMap<>();
        for (Target t : targets) {
            out.merge(t.host().replaceAll("[0-9]+$", ""), (long) t.weight(), Long::sum);
        }
        return out;
    }

    @Test
    void sharesAreExactWhateverThePodCounts() {
        List<Target> t = GatewayBackends.combine(List.of(
                new GatewayBackends.Backend("a", 70, pods("10.0.0.", 3)),
                new GatewayBackends.Backend("b", 30, pods("10.0.1.", 7))));
        // lcm(3, 7) = 21: a pod of a gets 70*21/3 = 490, of b 30*21/7 = 90; gcd 10 → 49 and 9
        assertThat(t).extracting(Target::weight).containsExactly(49, 49, 49, 9, 9, 9, 9, 9, 9, 9);
        Map<String, Long> sums = sums(t);
        assertThat(sums.get("10.0.0.") * 30).as("a : b = 70 : 30 exactly").isEqualTo(sums.get("10.0.1.") * 70);
    }

    @Test
    void drainingPodsStayAtZeroAndDoNotDiluteTheShare() {
        List<Target> a = new ArrayList<>(pods("a", 2));
        a.add(new Target("a9", 8080, 0));
        List<Target> t = GatewayBackends.combine(List.of(new GatewayBackends.Backend("a", 1, a),
                new GatewayBackends.Backend("b", 1, pods("b", 1))));
        assertThat(t).extracting(x -> x.host() + "=" + x.weight()).containsExactly("a1=1", "a2=1", "a9=0", "b1=2");
    }

    @Test
    void theSamePodInTwoBackendsAddsUp() {
        List<Target> t = GatewayBackends.combine(List.of(new GatewayBackends.Backend("a", 1, pods("p", 1)),
                new GatewayBackends.Backend("b", 2, pods("p", 1))));
        assertThat(t).extracting(x -> x.host() + "=" + x.weight()).containsExactly("p1=1");
    }

    @Test
    void beyondTheWeightLimitSharesAreScaledNeverToZero() {
        List<Target> t = GatewayBackends.combine(List.of(new GatewayBackends.Backend("a", 1_000_000, pods("a", 1)),
                new GatewayBackends.Backend("b", 1, pods("b", 1))));
        assertThat(t).extracting(x -> x.host() + "=" + x.weight()).containsExactly("a1=65535", "b1=1");
        assertThat(t).allSatisfy(x -> assertThat(x.weight()).isBetween(1, GatewayBackends.MAX_WEIGHT));
    }

    @Test
    void aBackendWithoutReadyPodsGivesItsShareToTheOthers() {
        List<Target> t = GatewayBackends.combine(List.of(new GatewayBackends.Backend("a", 3, List.of()),
                new GatewayBackends.Backend("b", 1, pods("b", 2))));
        assertThat(t).extracting(x -> x.host() + "=" + x.weight()).containsExactly("b1=1", "b2=1");
    }
}
