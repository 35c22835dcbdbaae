package dev.gatehouse.controller.channel;

import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelCodecException;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectError;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * One proxy's connection, after the WebSocket upgrade. Every field but {@link #state} is
 * confined to the connection's event loop, so there are no locks.
 *
 * <p>Latest wins: at most one push per proxy is unanswered. When the proxy answers it (ack or
 * nack), or says hello, the session looks at the server's latest snapshot and pushes it if it is
 * not what was pushed last; publishes in between only replace the latest, so a slow proxy gets
 * the newest snapshot next and never a backlog, neither in memory nor in socket buffers. A proxy that already acknowledged equal
 * content (same hash) is recorded as acknowledging the new version without a push.
 *
 * <p>What the proxy serves (its hello, then each ACK) is {@code held}: when the latest carries an
 * endpoint delta from exactly that version and hash, the delta goes out instead of the whole
 * snapshot. A NACK of a delta that asks for a resync (field {@code baseVersion}: the proxy was not
 * at its base) is not a refusal: the whole snapshot follows at once and nothing is reported. A
 * NACK of a delta for what it holds (an invalid target) is a refusal like any other.
 *
 * <p>A message bigger than the server's limit or the proxy's (from its hello) is not sent:
 * {@code event=channel.oversize}, counted, and shown as the proxy's last refusal. Messages are
 * written in fragments of {@value #FRAGMENT_BYTES} bytes, so a large snapshot does not hold up
 * pings, and the proxy's aggregator can refuse one over its limit without dropping the connection.
 */
final class ProxySession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ProxySession.class);
    static final int FRAGMENT_BYTES = 1024 * 1024;

    private final ChannelServer server;
    private Channel channel;
    private String remote;
    private String proxyId;
    private Instant since;
    /** A push was written (or is being written) and its ack or nack has not come yet. */
    private boolean awaitingAnswer;
    private long pushedVersion;
    private String pushedHash;
    private long ackedVersion;
    private String ackedHash;
    /** What the proxy serves, as far as its hello and ACKs tell; 0 and null when unknown. */
    private long heldVersion;
    private String heldHash;
    /** The kind of delta awaiting an answer; null when it is a whole snapshot. */
    private Published.DeltaKind pushedDelta;
    /** min(the server's limit, the proxy's). */
    private long maxMessageBytes;
    /** The proxy takes endpoint deltas: it told its message limit, which only proxies that know deltas do. */
    private boolean takesDeltas;
    /**
     * The proxy takes object deltas and speaks the per-object content hash ({@code hello.features});
     * one that does not gets whole snapshots with the legacy hash.
     */
    private boolean objects;
    private Nack lastNack;
    /** The per-object content hashes of what {@link #ackedVersion} and {@link #lastNack} name; null when not known. */
    private String ackedContent;
    private String nackContent;
    /** The copy others read; replaced on the event loop after every change. */
    private volatile ProxyState state;

    ProxySession(ChannelServer server) {
        this.server = server;
    }

    /** Null until the proxy said hello. */
    ProxyState state() {
        return state;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        remote = ChannelServer.remote(channel);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!(frame instanceof TextWebSocketFrame)) {
                // ping and close are answered by the protocol handler; pong is dropped there
                close(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "expected: text frames with JSON messages");
                return;
            }
            ChannelMessage message;
            try (ByteBufInputStream in = new ByteBufInputStream(frame.content())) {
                message = ChannelCodec.decode(in);
            } catch (ChannelCodecException e) {
                LOG.warn("event=channel.bad-message proxy={} remote={} error=\"{}\"", who(), remote, e.getMessage());
                close(WebSocketCloseStatus.PROTOCOL_ERROR, e.getMessage());
                return;
            } catch (java.io.IOException e) {
                throw new IllegalStateException("reading an in-memory buffer", e);
            }
            receive(message);
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    private void receive(ChannelMessage message) {
        if (message instanceof Hello hello) {
            hello(hello);
        } else if (proxyId == null) {
            close(WebSocketCloseStatus.POLICY_VIOLATION, "expected: hello first");
        } else if (message instanceof Ack ack) {
            ack(ack);
        } else if (message instanceof Nack nack) {
            nack(nack);
        } else {
            close(WebSocketCloseStatus.POLICY_VIOLATION, "expected: hello, ack or nack from a proxy");
        }
    }

    private void hello(Hello hello) {
        if (proxyId != null) {
            LOG.warn("event=channel.bad-message proxy={} remote={} error=\"second hello ignored\"", proxyId, remote);
            return;
        }
        if (!validProxyId(hello.proxyId())) {
            LOG.warn("event=channel.bad-message proxy=- remote={} error=\"proxyId not printable or too long\"", remote);
            close(WebSocketCloseStatus.POLICY_VIOLATION, "proxyId: expected 1..253 printable ASCII characters");
            return;
        }
        proxyId = hello.proxyId();
        since = Instant.now();
        heldVersion = hello.lastVersion();
        heldHash = hello.lastHash();
        takesDeltas = hello.maxMessageBytes() != null;
        objects = hello.has(Hello.FEATURE_OBJECTS);
        maxMessageBytes = hello.maxMessageBytes() == null ? server.maxMessageBytes()
                : Math.min(server.maxMessageBytes(), hello.maxMessageBytes());
        updateState();
        server.register(channel, this);
        LOG.info("event=channel.connected proxy={} remote={} version={} epoch={} same-epoch={} objects={}", proxyId, remote,
                hello.lastVersion(), hello.lastEpoch() == null ? "-" : hello.lastEpoch(), server.epoch().equals(hello.lastEpoch()),
                objects);
        String id = proxyId;
        server.notify(l -> l.onConnect(id));
        Published latest = server.latest();
        if (latest != null && hello.lastHash() != null && hashFor(latest).equals(hello.lastHash())) {
            // it serves this content already: nothing to send, and it counts as acknowledged
            LOG.info("event=channel.up-to-date proxy={} version={} hash={}", proxyId, latest.version(), hello.lastHash());
            pushedVersion = latest.version();
            pushedHash = hello.lastHash();
            acked(latest.version(), hello.lastHash());
            return;
        }
        offer();
    }

    private void ack(Ack ack) {
        LOG.info("event=channel.ack proxy={} version={}", proxyId, ack.version());
        if (ack.version() >= heldVersion) {
            heldVersion = ack.version();
            heldHash = ack.hash();
        }
        acked(ack.version(), ack.hash());
        answered(ack.version());
    }

    /** The proxy answered a push: when it was the last one, the latest may go out now. */
    private void answered(long version) {
        if (awaitingAnswer && version >= pushedVersion) {
            awaitingAnswer = false;
            offer();
        }
    }

    private void acked(long version, String hash) {
        if (version >= ackedVersion) {
            ackedVersion = version;
            ackedHash = hash;
            ackedContent = content(version, hash);
        }
        updateState();
        String id = proxyId;
        server.notify(l -> l.onAck(id, version));
    }

    private void nack(Nack received) {
        Nack nack = received;
        if (awaitingAnswer && pushedDelta != null && nack.version() == pushedVersion && asksResync(nack)) {
            // not a refusal of the configuration: the proxy could not take the delta; it gets the whole snapshot
            server.counters().resynced(pushedDelta);
            LOG.info("event=channel.resync proxy={} version={} kind={} reason=\"{}\"", proxyId, nack.version(),
                    kindName(pushedDelta), nack.errors().isEmpty() ? "" : nack.errors().get(0));
            heldVersion = 0;
            heldHash = null;
            pushedVersion = 0;
            pushedHash = null;
            awaitingAnswer = false;
            offer();
            return;
        }
        if (nack.version() == 0 && awaitingAnswer) {
            // the proxy could not read the message at all (over its limit): it answers the push outstanding
            nack = Nack.of(pushedVersion, pushedHash, nack.errors());
        }
        if (awaitingAnswer && pushedDelta != null && nack.version() == pushedVersion) {
            server.counters().refused(pushedDelta);
        }
        lastNack = nack;
        nackContent = content(nack.version(), nack.hash());
        Nack refused = nack;
        updateState();
        LOG.warn("event=channel.nack proxy={} version={} errors={} first=\"{}\"", proxyId, nack.version(),
                nack.errors().size(), nack.errors().isEmpty() ? "" : nack.errors().get(0));
        String id = proxyId;
        server.notify(l -> l.onNack(id, refused.version(), refused.errors()));
        answered(refused.version());
    }

    /** A NACK of a delta whose proxy was not at its base (or could not replay it): it wants the whole snapshot. */
    private static boolean asksResync(Nack nack) {
        for (ObjectError e : nack.errors()) {
            if (e.isSnapshotWide() && EndpointDelta.RESYNC_FIELD.equals(e.field())) {
                return true;
            }
        }
        return false;
    }

    /** Pushes the server's latest snapshot if this proxy needs it; callable from any thread. */
    void offer() {
        if (!channel.eventLoop().inEventLoop()) {
            try {
                channel.eventLoop().execute(this::offer);
            } catch (RejectedExecutionException e) {
                // the server is stopping; the connection goes with it
            }
            return;
        }
        if (proxyId == null || awaitingAnswer || !channel.isActive()) {
            return;
        }
        Published latest = server.latest();
        if (latest == null || latest.version() < ackedVersion
                || latest.version() == pushedVersion && hashFor(latest).equals(pushedHash)) {
            return;
        }
        String hash = hashFor(latest);
        if (hash.equals(ackedHash)) {
            pushedVersion = latest.version();
            pushedHash = hash;
            acked(latest.version(), hash);
            return;
        }
        // a delta only to a proxy that takes its kind and serves its base; everyone else the whole snapshot
        Published.Delta d = takesDeltas && objects ? latest.deltaFor(heldVersion, heldHash) : null;
        boolean delta = d != null;
        byte[] message = delta ? d.bytes() : objects ? latest.frame() : latest.legacyFrame();
        pushedVersion = latest.version();
        pushedHash = hash;
        if (message.length > maxMessageBytes) {
            refuseOversize(latest, message.length);
            return;
        }
        awaitingAnswer = true;
        pushedDelta = delta ? d.kind() : null;
        updateState();
        ChannelCounters counters = server.counters();
        counters.sent(pushedDelta);
        boolean catchUp = latest.catchUp(d);
        if (catchUp) {
            counters.catchUpsSent.increment();
        }
        counters.messageBytes.add(message.length);
        LOG.info("event=channel.push proxy={} version={} kind={} catch-up={} from={} bytes={}", proxyId, latest.version(),
                delta ? kindName(pushedDelta) : "snapshot", catchUp, delta ? Long.toString(heldVersion) : "-", message.length);
        write(message).addListener((ChannelFuture f) -> {
                    if (!f.isSuccess()) {
                        LOG.warn("event=channel.push-failed proxy={} version={} error=\"{}\"",
                                proxyId, latest.version(), describe(f.cause()));
                        f.channel().close();
                    }
                });
    }

    /**
     * The per-object content hash of {@code version}, which this proxy named {@code hash}: the
     * same for a proxy that speaks it; a legacy proxy's is known for the latest version only.
     */
    private String content(long version, String hash) {
        if (objects) {
            return hash;
        }
        Published latest = server.latest();
        return latest != null && latest.version() == version ? latest.hash() : null;
    }

    /** The content hash of {@code p} as this proxy computes it. */
    private String hashFor(Published p) {
        return objects ? p.hash() : p.legacyHash();
    }

    static String kindName(Published.DeltaKind kind) {
        return kind == Published.DeltaKind.ENDPOINTS ? "endpoints" : "objects";
    }

    /** Writes {@code message} as one text message in fragments of at most {@link #FRAGMENT_BYTES}. */
    private ChannelFuture write(byte[] message) {
        if (message.length <= FRAGMENT_BYTES) {
            return channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(message)));
        }
        for (int off = 0; off < message.length; off += FRAGMENT_BYTES) {
            int len = Math.min(FRAGMENT_BYTES, message.length - off);
            ByteBuf part = Unpooled.wrappedBuffer(message, off, len);
            boolean last = off + len == message.length;
            if (off == 0) {
                channel.write(new TextWebSocketFrame(false, 0, part));
            } else if (!last) {
                channel.write(new ContinuationWebSocketFrame(false, 0, part));
            } else {
                return channel.writeAndFlush(new ContinuationWebSocketFrame(true, 0, part));
            }
        }
        throw new AssertionError("unreachable: the loop ends on the last fragment");
    }

    /** A message over the limit is not sent; the proxy keeps what it serves and the refusal shows as its last NACK. */
    private void refuseOversize(Published latest, int bytes) {
        lastNack = Nack.of(latest.version(), hashFor(latest), List.of(ObjectError.snapshotWide("snapshot",
                bytes + " bytes (expected: <= " + maxMessageBytes + ", the channel's message limit); not sent")));
        nackContent = latest.hash();
        updateState();
        LOG.error("event=channel.oversize proxy={} version={} bytes={} limit={} fix=\"raise --channel-max-message-bytes "
                + "(controller) and --max-message-bytes (proxy), or split the configuration\"", proxyId, latest.version(),
                bytes, maxMessageBytes);
        server.counters().oversizeRefused.increment(); // last: a reader of the counter sees the state and the log line
    }

    /** Says goodbye with 1001 (going away); the server closes the connection after. */
    void goAway() {
        channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                LOG.warn("event=channel.idle-timeout proxy={} remote={}", who(), remote);
                ctx.close();
            } else if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(new PingWebSocketFrame());
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (proxyId != null) {
            server.unregister(channel);
            LOG.info("event=channel.disconnected proxy={} remote={} acked={}", proxyId, remote, ackedVersion);
            String id = proxyId;
            server.notify(l -> l.onDisconnect(id));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("event=channel.error proxy={} remote={} error=\"{}\"", who(), remote, describe(cause));
        ctx.close();
    }

    /**
     * A one-line, secret-free description. Some exceptions carry the bytes received: Netty's
     * {@link NotSslRecordException} hex-dumps a plain-text request, bearer token included, so
     * only its kind is told.
     */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof NotSslRecordException) {
            return "not-tls: the peer sent plain text to the TLS port";
        }
        String message = root.getMessage();
        if (message == null) {
            return root.getClass().getSimpleName();
        }
        message = message.replaceAll("\\s+", " ");
        return root.getClass().getSimpleName() + ": " + (message.length() > 200 ? message.substring(0, 200) + "…" : message);
    }

    private void close(WebSocketCloseStatus status, String reason) {
        String text = reason.length() > 100 ? reason.substring(0, 100) : reason;
        channel.writeAndFlush(new CloseWebSocketFrame(status.code(), text)).addListener(ChannelFutureListener.CLOSE);
    }

    /** A pod name fits (DNS subdomain, 253); printable ASCII keeps log lines whole. */
    static boolean validProxyId(String id) {
        if (id.isEmpty() || id.length() > 253) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }

    /** The proxy's id for a log line; {@code -} before its hello. */
    private String who() {
        return proxyId == null ? "-" : proxyId;
    }

    private void updateState() {
        state = new ProxyState(proxyId, remote, since, pushedVersion, ackedVersion, lastNack, ackedContent, nackContent);
    }
}
