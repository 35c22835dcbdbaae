package dev.gatehouse.proxy.channel;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EpochGuardTest {

    @Test
    void remembersTheHighestVersionPerEpochAndForgetsTheLeastRecentlyUsedBeyondTheLimit() {
        EpochGuard guard = new EpochGuard();
        guard.applied("e0", 100);
        assertThat(guard.refusal("e0", 99)).startsWith("99 (expected: >= 100");
        guard.applied("e0", 50); // never lowers what is held
        assertThat(guard.highest("e0")).isEqualTo(100);
        for (int i = 1; i < EpochGuard.EPOCHS; i++) {
            guard.applied("e" + i, i);
        }
        assertThat(guard.refusal("e0", 99)).as("16 epochs are remembered").isNotNull();
        guard.applied("e-new", 1);
        assertThat(guard.refusal("e1", 0)).as("e0 was used more recently than e1").isNull();
        assertThat(guard.refusal("e0", 99)).isNotNull();
        assertThat(guard.highest("e1")).isEqualTo(-1);
        assertThat(guard.refusal(null, 0)).isNull();
        assertThat(guard.lastEpoch()).isEqualTo("e-new");
    }
}
