package dev.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The leak check itself: paranoid detection is on, and a dropped buffer is reported. */
class LeakCheckTest {
    @Test
    void aDroppedBufferIsReported() throws Exception {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        leak();
        // the collector may need a few rounds on a busy machine: bounded
        for (int i = 0; i < 20 && LeakCheck.LEAKS.isEmpty(); i++) {
            LeakCheck.collect();
        }
        assertThat(LeakCheck.LEAKS).isNotEmpty();
        LeakCheck.LEAKS.clear();
    }

    private static void leak() {
        ByteBuf dropped = ByteBufAllocator.DEFAULT.buffer(16);
        dropped.writeInt(42);
    }
}
