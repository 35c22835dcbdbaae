package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelCodecException;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.config.channel.SnapshotPush;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link ChannelClient}'s apply thread: decodes each message the loop aggregated, hands it
 * to the {@link SnapshotApplier} and writes the answer, one message at a time and in order, so a
 * multi-megabyte snapshot never stalls the connection's event loop. Also answers a message the
 * loop refused for its size. Counts what it received and refused.
 */
final class ApplyWorker {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelClient.class);

    private final ChannelClientConfig config;
    private final SnapshotApplier applier;
    private final ExecutorService applyThread;
    /** Messages refused (NACKed) for their size. */
    final LongAdder oversize = new LongAdder();
    /** Bytes of messages received, decompressed. */
    final LongAdder messageBytes = new LongAdder();

    ApplyWorker(ChannelClientConfig config, SnapshotApplier applier, ExecutorService applyThread) {
        this.config = config;
        this.applier = applier;
        this.applyThread = applyThread;
    }

    /** Sends the hello, made on the apply thread (it reads what is served), and logs the connection. */
    void hello(Channel ch, int afterFailures) {
        onApplyThread(ch, () -> {
            Hello hello = applier.hello(config.proxyId(), config.maxMessageBytes());
            LOG.info("event=channel.connected controller={} proxy={} version={} after-failures={}",
                    config.controller(), config.proxyId(), hello.lastVersion(), afterFailures);
            return hello;
        });
    }

    /**
     * Decodes and applies one message on the apply thread and writes the answer; takes ownership
     * of {@code content} (released there).
     */
    void receive(Channel ch, ByteBuf content) {
        messageBytes.add(content.readableBytes());
        onApplyThread(ch, () -> {
            ChannelMessage message;
            try (ByteBufInputStream in = new ByteBufInputStream(content, true)) {
                message = ChannelCodec.decode(in);
            } catch (ChannelCodecException e) {
                LOG.warn("event=channel.bad-message error=\"{}\"", e.getMessage());
                if (("snapshot".equals(e.type()) || "endpoints".equals(e.type()) || "objects".equals(e.type())) && e.version() >= 0) {
                    // a message this proxy cannot read is refused like an invalid one: the
                    // controller hears why, and the proxy keeps what it serves
                    return Nack.of(e.version(), e.hash() == null ? "" : e.hash(),
                            List.of(ObjectError.snapshotWide("snapshot", e.getMessage())));
                }
                return null;
            } catch (java.io.IOException e) {
                throw new IllegalStateException("reading an in-memory buffer", e);
            }
            if (message instanceof SnapshotPush push) {
                return applier.receive(push);
            }
            if (message instanceof EndpointDelta delta) {
                return applier.receive(delta);
            }
            if (message instanceof ObjectDelta delta) {
                return applier.receive(delta);
            }
            LOG.warn("event=channel.bad-message error=\"unexpected {} from the controller\"", ChannelCodec.typeOf(message));
            return null;
        }, content);
    }

    /** A message over the limit was dropped by the aggregator or the inflater: NACK it (version 0: the one outstanding). */
    void oversize(Channel ch, String detail, boolean thenClose) {
        oversize.increment();
        LOG.warn("event=channel.oversize limit={} detail=\"{}\" action={}", config.maxMessageBytes(), detail,
                thenClose ? "nack-and-reconnect" : "nack");
        Nack nack = Nack.of(0, "", List.of(ObjectError.snapshotWide("message", "larger than " + config.maxMessageBytes()
                + " bytes decompressed (expected: <= the proxy's --max-message-bytes); not applied")));
        if (thenClose) {
            ch.writeAndFlush(ControllerSession.frame(nack)).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        onApplyThread(ch, () -> nack); // after any answer still being made, so answers keep their order
    }

    private void onApplyThread(Channel ch, java.util.function.Supplier<ChannelMessage> work) {
        onApplyThread(ch, work, null);
    }

    private void onApplyThread(Channel ch, java.util.function.Supplier<ChannelMessage> work, ByteBuf owned) {
        try {
            applyThread.execute(() -> {
                ChannelMessage answer;
                try {
                    answer = work.get();
                } catch (RuntimeException e) {
                    LOG.error("event=channel.apply-failed error=\"{}\"", e.toString(), e);
                    return;
                }
                if (answer != null && ch.isActive()) {
                    ch.writeAndFlush(ControllerSession.frame(answer));
                }
            });
        } catch (RejectedExecutionException e) {
            if (owned != null) {
                owned.release(); // stopping
            }
        }
    }

}
