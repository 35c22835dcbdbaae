package dev.gatehouse.proxy.channel;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

    @Test
    void theCeilingDoublesFromTheBaseToTheCap() {
        Backoff b = Backoff.standard();
        assertThat(b.ceiling(0)).isEqualTo(100);
        assertThat(b.ceiling(1)).isEqualTo(200);
        assertThat(b.ceiling(5)).isEqualTo(3_200);
        assertThat(b.ceiling(6)).isEqualTo(5_000);
        assertThat(b.ceiling(63)).isEqualTo(5_000);
        assertThat(b.ceiling(Integer.MAX_VALUE)).isEqualTo(5_000);
        assertThat(b.ceiling(-1)).isEqualTo(100);
    }

    @Test
    void fullJitterSpansZeroToTheCeiling() {
        assertThat(new Backoff(100, 5_000, bound -> bound).delayMillis(3)).isEqualTo(800);
        assertThat(new Backoff(100, 5_000, bound -> 0).delayMillis(3)).isZero();
        Backoff real = Backoff.standard();
        for (int n = 0; n < 12; n++) {
            for (int i = 0; i < 200; i++) {
                assertThat(real.delayMillis(n)).isBetween(0L, real.ceiling(n));
            }
        }
    }

    @Test
    void aBadBaseOrCapIsRefused() {
        assertThatThrownBy(() -> new Backoff(0, 10, b -> b))
                .hasMessage("base, cap: 0, 10 (expected: 0 < base <= cap)");
        assertThatThrownBy(() -> new Backoff(100, 10, b -> b))
                .hasMessage("base, cap: 100, 10 (expected: 0 < base <= cap)");
    }
}
