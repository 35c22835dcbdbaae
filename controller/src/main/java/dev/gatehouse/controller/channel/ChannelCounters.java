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

    /** The counts of one kind of delta: sent, answered by a resync, refused for its content. */
    static final class DeltaCounts {
        final LongAdder sent = new LongAdder();
        final LongAdder resyncs = new LongAdder();
        final LongAdder refusals = new LongAdder();
    }

    private final java.util.Map<Published.DeltaKind, DeltaCounts> deltas = new java.util.EnumMap<>(Published.DeltaKind.class);

    {
        for (Published.DeltaKind kind : Published.DeltaKind.values()) {
            deltas.put(kind, new DeltaCounts());
        }
    }

    /** Deltas sent to a proxy several versions behind, from the version it serves ({@code --catch-up-versions}). */
    final LongAdder catchUpsSent = new LongAdder();
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

    /** The counts of deltas of that kind. */
    DeltaCounts of(Published.DeltaKind kind) {
        return deltas.get(kind);
    }

    /** A message sent: a whole snapshot ({@code kind} null) or a delta of that kind. */
    void sent(Published.DeltaKind kind) {
        (kind == null ? snapshotsSent : of(kind).sent).increment();
    }

    /** A delta of that kind the proxy could not take (not at its base): the whole snapshot followed. */
    void resynced(Published.DeltaKind kind) {
        of(kind).resyncs.increment();
    }

    /** A delta of that kind the proxy refused for its content (a NACK naming objects). */
    void refused(Published.DeltaKind kind) {
        of(kind).refusals.increment();
    }

    void bind(MeterRegistry registry) {
        FunctionCounter.builder("gatehouse.controller.channel.pushes", snapshotsSent, LongAdder::doubleValue)
                .tag("kind", "snapshot").description("Deltas of that kind sent to proxies (kind=snapshot: whole snapshots)").register(registry);
        for (var e : deltas.entrySet()) {
            String kind = e.getKey().name().toLowerCase(java.util.Locale.ROOT);
            DeltaCounts c = e.getValue();
            FunctionCounter.builder("gatehouse.controller.channel.pushes", c.sent, LongAdder::doubleValue)
                    .tag("kind", kind).description("Deltas of that kind sent to proxies (kind=snapshot: whole snapshots)")
                    .register(registry);
            FunctionCounter.builder("gatehouse.controller.channel.resyncs", c.resyncs, LongAdder::doubleValue)
                    .tag("kind", kind)
                    .description("Deltas a proxy could not apply (not at the base version), answered with the whole snapshot")
                    .register(registry);
            FunctionCounter.builder("gatehouse.controller.channel.delta.refusals", c.refusals, LongAdder::doubleValue)
                    .tag("kind", kind).description("Deltas a proxy refused for their content (NACK)").register(registry);
        }
        FunctionCounter.builder("gatehouse.controller.channel.catch_ups", catchUpsSent, LongAdder::doubleValue)
                .description("Deltas sent to a proxy more than one version behind, from the version it serves (also counted "
                        + "in pushes by kind); one further behind than --catch-up-versions gets the whole snapshot")
                .register(registry);
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
