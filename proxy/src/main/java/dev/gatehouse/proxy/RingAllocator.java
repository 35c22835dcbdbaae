package dev.gatehouse.proxy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.uring.IoUringBufferRingAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The buffers of one io_uring loop's read ring ({@link Transport#READ_RING}), drawn from Netty's
 * allocator, with the one failure Netty does not report: a buffer the ring needs that cannot be
 * allocated.
 *
 * <p>Netty 4.2.18 ({@code IoUringBufferRing}) fills the ring at the loop's start and after each read
 * (one buffer for the one the read used; a batch when it grows the ring or runs dry). An allocation
 * that throws reaches nobody as a ring failure: at the start it fails the loop's start; after a read
 * the bytes of that read are lost and the exception reaches the reading channel's
 * {@code exceptionCaught}; a failed batch marks the ring corrupted and releases its buffers, and
 * from then on every channel of the loop waits with a {@code POLL_ADD} before it reads, the path with
 * the two traps the ring is there to avoid (docs/decisions.md). So every failed allocation is
 * counted ({@code gatehouse_transport_ring_failures_total}: the sum of the loops of one
 * {@link Transport}, which a proxy binds to its registry with {@link #bindTo}) and the first one of
 * each loop logs {@code event=proxy.transport.ring_failed}; the exception is then thrown on to Netty
 * as before.
 *
 * <p>One per loop, as the allocator it wraps (Netty's adaptive ring allocator is not thread-safe),
 * called on that loop's thread only, which names the loop in the log line.
 */
final class RingAllocator implements IoUringBufferRingAllocator {
    private static final Logger LOG = LoggerFactory.getLogger(RingAllocator.class);

    private final IoUringBufferRingAllocator buffers;
    /** Shared by the loops of one transport. */
    private final LongAdder failures;
    private boolean logged;

    RingAllocator(IoUringBufferRingAllocator buffers, LongAdder failures) {
        this.buffers = Objects.requireNonNull(buffers, "buffers");
        this.failures = Objects.requireNonNull(failures, "failures");
    }

    @Override
    public ByteBuf allocate() {
        try {
            return buffers.allocate();
        } catch (RuntimeException | Error e) {
            failed(e, 1);
            throw e;
        }
    }

    @Override
    public void allocateBatch(Consumer<ByteBuf> consumer, int number) {
        try {
            buffers.allocateBatch(consumer, number);
        } catch (RuntimeException | Error e) {
            failed(e, number);
            throw e;
        }
    }

    @Override
    public void lastBytesRead(int attempted, int actual) {
        buffers.lastBytesRead(attempted, actual);
    }

    private void failed(Throwable e, int wanted) {
        failures.increment();
        if (logged) {
            return;
        }
        logged = true;
        LOG.error("event=proxy.transport.ring_failed loop={} buffer_group={} buffers={} error=\"{}\" effect=\"the read that needed"
                        + " the buffer loses its bytes and its connection sees the error; if the ring cannot be refilled, every"
                        + " connection of this loop reads poll-first (docs/decisions.md, io_uring read ring)\" fix=\"give the"
                        + " proxy more direct memory (-XX:MaxDirectMemorySize, the pod's memory limit) or run --transport epoll\"",
                Thread.currentThread().getName(), Transport.READ_RING, wanted, String.valueOf(e).replace('"', '\''));
    }

    /**
     * Exposes {@code gatehouse_transport_ring_failures_total} on {@code registry}: the failures of the
     * read rings of {@code transport}'s loops ({@link Transport#ringFailures()}), 0 but on io_uring.
     */
    static void bindTo(MeterRegistry registry, Transport transport) {
        LongAdder failures = transport.ringFailures();
        // the function holds the sum (a counter's object is held weakly; the registry outlives the loops)
        FunctionCounter.builder("gatehouse.transport.ring.failures", registry, r -> failures.sum())
                .description("Buffers an io_uring read ring needed and could not allocate (a loop may then read poll-first)")
                .register(registry);
    }
}
