package dev.gatehouse.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Fails a test class when Netty reported a leaked buffer during it. Registered for every test
 * class (META-INF/services, autodetection on); installs a counting leak detector before any
 * buffer class is initialized. Leak detection runs at paranoid level (parent pom), so every
 * buffer is tracked; after each class the check forces garbage collection and allocates, which
 * makes the detectors report what was collected without being released.
 */
public final class LeakCheck implements AfterAllCallback {
    static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                ResourceLeakDetector<T> detector = new ResourceLeakDetector<>(resource, samplingInterval, maxActive);
                detector.setLeakListener((type, records) -> LEAKS.add(type + records));
                return detector;
            }
        });
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        assertNone(context.getDisplayName());
    }

    /** Fails when a leak was reported since the last check; for engines without Jupiter extensions too. */
    public static void assertNone(String where) throws InterruptedException {
        collect();
        if (!LEAKS.isEmpty()) {
            String first = LEAKS.get(0);
            int count = LEAKS.size();
            LEAKS.clear();
            throw new AssertionError(count + " Netty buffer leak(s) detected in " + where
                    + " (expected: none); first:\n" + first);
        }
    }

    /**
     * Installs the counting detector factory (by initializing this class); called when the test
     * run starts ({@link LeakCheckSession}), before any engine touches Netty's buffer classes.
     */
    public static void install() {
        // the static initializer did the work
    }

    /** Lets the detectors find buffers that were collected without being released. */
    static void collect() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (ByteBufAllocator alloc : List.of(ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
                    UnpooledByteBufAllocator.DEFAULT)) {
                for (int j = 0; j < 50; j++) {
                    alloc.buffer(8).release();
                    alloc.directBuffer(8).release();
                }
            }
        }
    }
}
