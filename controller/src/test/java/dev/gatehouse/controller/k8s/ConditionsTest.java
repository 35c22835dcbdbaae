package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.Reason;
import dev.gatehouse.controller.translate.StatusCondition;
import io.fabric8.kubernetes.api.model.Condition;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConditionsTest {
    static final StatusCondition ACCEPTED = new StatusCondition("Accepted", true, Reason.Accepted, "accepted");
    static final StatusCondition REFUSED = new StatusCondition("Accepted", false, Reason.Invalid, "spec.paths[0]: bad");

    @Test
    void lastTransitionTimeMovesOnlyWhenTheStatusFlips() {
        List<Condition> first = Conditions.merge(null, List.of(ACCEPTED), 1L, "2026-01-01T00:00:00Z");
        assertThat(first.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(first.get(0).getObservedGeneration()).isEqualTo(1L);

        List<Condition> again = Conditions.merge(first, List.of(ACCEPTED), 1L, "2026-01-02T00:00:00Z");
        assertThat(again.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(Conditions.same(first, again)).as("nothing visible changed: no write").isTrue();

        List<Condition> newGeneration = Conditions.merge(first, List.of(ACCEPTED), 2L, "2026-01-03T00:00:00Z");
        assertThat(newGeneration.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(newGeneration.get(0).getObservedGeneration()).isEqualTo(2L);
        assertThat(Conditions.same(first, newGeneration)).isFalse();

        List<Condition> flipped = Conditions.merge(newGeneration, List.of(REFUSED), 3L, "2026-01-04T00:00:00Z");
        assertThat(flipped.get(0).getStatus()).isEqualTo("False");
        assertThat(flipped.get(0).getReason()).isEqualTo("Invalid");
        assertThat(flipped.get(0).getMessage()).isEqualTo("spec.paths[0]: bad");
        assertThat(flipped.get(0).getLastTransitionTime()).isEqualTo("2026-01-04T00:00:00Z");

        StatusCondition otherMessage = new StatusCondition("Accepted", false, Reason.Invalid, "spec.paths[1]: bad");
        List<Condition> reworded = Conditions.merge(flipped, List.of(otherMessage), 3L, "2026-01-05T00:00:00Z");
        assertThat(reworded.get(0).getLastTransitionTime()).as("same status, new message").isEqualTo("2026-01-04T00:00:00Z");
        assertThat(Conditions.same(flipped, reworded)).isFalse();
    }
}
