package dev.gatehouse.controller.channel;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the channel server sent, for {@code /metrics}: pushes of whole snapshots, endpoint deltas
 * and object deltas, deltas refused by a proxy for their content, resyncs (a proxy could not take a delta and got the whole snapshot), messages refused
 * for their size, and bytes: as encoded (JSON) and as written to the socket (after
 * permessage-deflate and framing). Counted on the event loops, read by the meters.
 */
final class ChannelCounters {
    final LongAdder snapshotsSent = new LongAdder();
    final LongAdder deltasSent = new LongAdder();
    final LongAdder objectDeltasSent = new LongAdder();
    final LongAdder resyncs = new LongAdder();
    final LongAdder objectResyncs = new LongAdder();
    final LongAdder endpointRefusals = new LongAdder();
    final LongAdder objectRefusals = new LongAdder();
    final LongAdder oversizeRefused = new LongAdder();
    final LongAdder messageBytes = new LongAdder();
    final LongAdder wireBytes = new LongAdder();

    /** Counts every byte written to a connection's socket (below TLS when there is none, above it otherwise). */
    @ChannelHandler.Sharable
    final class WireBytes extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b) {
                wireBytes.add(b.readableBytes());
            }
            ctx.write(msg, promise);
        }
    }

    /** A message sent: a whole snapshot ({@code kind} null) or a delta of that kind. */
    void sent(Published.DeltaKind kind) {
        (kind == null ? snapshotsSent : kind == Published.DeltaKind.ENDPOINTS ? deltasSent : objectDeltasSent).increment();
    }

    /** A delta of that kind the proxy could not take (not at its base): the whole snapshot followed. */
    void resynced(Published.DeltaKind kind) {
        (kind == Published.DeltaKind.ENDPOINTS ? resyncs : objectResyncs).increment();
    }

    /** A delta of that kind the proxy refused for its content (a NACK naming objects). */
    void refused(Published.DeltaKind kind) {
        (kind == Published.DeltaKind.ENDPOINTS ? endpointRefusals : objectRefusals).increment();
    }

    void bind(MeterRegistry registry) {
        FunctionCounter.builder("gatehouse.controller.channel.pushes", snapshotsSent, LongAdder::doubleValue)
                .tag("kind", "snapshot").description("Whole snapshots sent to proxies").register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.pushes", deltasSent, LongAdder::doubleValue)
                .tag("kind", "endpoints").description("Endpoint deltas sent to proxies").register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.pushes", objectDeltasSent, LongAdder::doubleValue)
                .tag("kind", "objects").description("Object deltas sent to proxies").register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.resyncs", resyncs, LongAdder::doubleValue)
                .tag("kind", "endpoints")
                .description("Deltas a proxy could not apply (not at the base version), answered with the whole snapshot")
                .register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.resyncs", objectResyncs, LongAdder::doubleValue)
                .tag("kind", "objects")
                .description("Deltas a proxy could not apply (not at the base version), answered with the whole snapshot")
                .register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.delta.refusals", endpointRefusals, LongAdder::doubleValue)
                .tag("kind", "endpoints").description("Deltas a proxy refused for their content (NACK)").register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.delta.refusals", objectRefusals, LongAdder::doubleValue)
                .tag("kind", "objects").description("Deltas a proxy refused for their content (NACK)").register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.oversize", oversizeRefused, LongAdder::doubleValue)
                .description("Messages not sent because they exceed the channel's or the proxy's message limit")
                .register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.message.bytes", messageBytes, LongAdder::doubleValue)
                .description("Bytes of channel messages sent, as encoded JSON before compression").baseUnit("bytes")
                .register(registry);
        FunctionCounter.builder("gatehouse.controller.channel.wire.bytes", wireBytes, LongAdder::doubleValue)
                .description("Bytes written to proxy connections, after compression and WebSocket framing").baseUnit("bytes")
                .register(registry);
    }
}
