package dev.gatehouse.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A loop's io_uring read ring that cannot be filled: every failed allocation is counted
 * ({@code gatehouse_transport_ring_failures_total}), the read that needed the buffer reaches its
 * channel as the allocator's error, and once the ring cannot be refilled at all Netty marks it
 * corrupted and the loop's channels read poll-first (the path with the two traps,
 * docs/decisions.md): a new connection is served again, through the channel's own allocator.
 */
class RingFailureTest {

    /** Direct buffers until {@code allowed} were handed out, then none; not leak-tracked (see below). */
    static final class FailingAllocator extends AbstractByteBufAllocator {
        // Netty 4.2.18 loses a read's buffer when the refill after it throws (a retained slice that is
        // never released): its leak, not this test's, so the ring's buffers are not tracked
        private static final ByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(true, true);
        final int allowed;
        final AtomicInteger handedOut = new AtomicInteger();

        FailingAllocator(int allowed) {
            super(true);
            this.allowed = allowed;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (handedOut.incrementAndGet() > allowed) {
                throw new OutOfMemoryError("Cannot reserve direct buffer memory (test: ring allocator exhausted)");
            }
            return UNTRACKED.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return UNTRACKED.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    /** Echoes what it reads; an error is kept and closes the connection. */
    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        private final LinkedBlockingQueue<Throwable> errors;

        Echo(LinkedBlockingQueue<Throwable> errors) {
            this.errors = errors;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
            ctx.close();
        }
    }

    @Test
    void aRingThatCannotBeFilledIsCountedAndItsLoopFallsBackToPollFirstReads() throws Exception {
        assumeTrue(Transport.ioUringUnavailable() == null, "io_uring with buffer rings is not available here");
        // the ring's first batch is allowed; every buffer after it fails
        Transport transport = Transport.ioUring("test", new FailingAllocator(Transport.READ_RING_BATCH));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RingAllocator.bindTo(registry, transport);
        LinkedBlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        EventLoopGroup group = transport.newGroup(1, "ring-failure-test");
        try {
            Channel server = transport.serverBootstrap(group)
                    .childHandler(new Echo(errors))
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();

            // each read takes a ring buffer whose refill fails: the read's bytes are lost, its channel
            // sees the error; the BATCH-th read finds the ring empty and its batch refill fails too,
            // which marks the ring corrupted
            for (int i = 1; i <= Transport.READ_RING_BATCH; i++) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write('x');
                    Throwable error = errors.poll(10, TimeUnit.SECONDS);
                    assertThat(error).as("read %d: the refill's error reaches the channel", i)
                            .isInstanceOf(OutOfMemoryError.class).hasMessageContaining("ring allocator exhausted");
                    assertThat(s.getInputStream().read()).as("read %d: closed without an echo", i).isEqualTo(-1);
                }
            }
            assertThat(registry.get("gatehouse.transport.ring.failures").functionCounter().count())
                    .as("one failure per failed refill, the last one the batch that corrupted the ring")
                    .isEqualTo(Transport.READ_RING_BATCH);
            assertThat(Transport.ioUring("another proxy's", ByteBufAllocator.DEFAULT).ringFailures().sum())
                    .as("counted for the loops of this transport only, not JVM-wide").isZero();

            // the corrupted ring is not used any more: reads wait with a poll and take the channel's buffer
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            }
            assertThat(errors).isEmpty();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
