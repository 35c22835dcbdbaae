package dev.gatehouse.proxy.observe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The access log's {@code time} from a monotonic reading: the wall clock's time of that reading, to the millisecond. */
class WallClockTest {
    @Test
    void aReadingNowIsTheWallClockNow() {
        long before = System.currentTimeMillis();
        long at = WallClock.millisAt(System.nanoTime());
        long after = System.currentTimeMillis();
        // the base's pair of readings is taken a few microseconds apart: at most a millisecond off
        assertThat(at).isBetween(before - 1, after + 1);
    }

    @Test
    void anEarlierReadingIsThatMuchEarlier() {
        long now = System.nanoTime();
        long nowMillis = WallClock.millisAt(now);
        assertThat(WallClock.millisAt(now - 5_000_000_000L)).isBetween(nowMillis - 5_001, nowMillis - 4_999);
        assertThat(WallClock.millisAt(now - 250_000L)).as("a quarter of a millisecond").isBetween(nowMillis - 1, nowMillis);
    }

    @Test
    void aReadingASecondPastTheBaseTakesANewOne() {
        long now = System.nanoTime();
        WallClock.millisAt(now);
        // a reading 3 s ahead of the clock: converted from a base taken now, so 3 s ahead of the wall clock
        long ahead = WallClock.millisAt(now + 3_000_000_000L);
        long wall = System.currentTimeMillis();
        assertThat(ahead).isBetween(wall + 2_990, wall + 3_010);
        // the base taken then is now's: a reading now converts to now again
        assertThat(WallClock.millisAt(System.nanoTime())).isBetween(wall - 1, System.currentTimeMillis() + 1);
    }
}
