package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Snapshot;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelId;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.micrometer.core.instrument.MeterRegistry;
import dev.gatehouse.config.channel.Epochs;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The controller's end of the snapshot channel: a WebSocket server at {@value #PATH} that proxies
 * dial, say hello to, and receive snapshots from (see {@link dev.gatehouse.config.channel}).
 *
 * <p>Pipeline per connection, in order: TLS (when configured), idle detection, HTTP/1.1 codec,
 * aggregation of the upgrade request (at most {@value #MAX_UPGRADE_REQUEST_BYTES} bytes), the
 * {@link UpgradeGate} (path and bearer token), permessage-deflate (RFC 7692, when the proxy offers
 * it), the WebSocket handshake and protocol handler (RFC 6455; pings answered, close frames
 * handled), aggregation of fragmented messages, and the {@link ProxySession}.
 *
 * <p>Each publish is diffed against the one before ({@link Published}): a proxy known to serve the
 * previous version gets an {@code endpoints} delta when only upstream targets changed, an
 * {@code objects} delta (the objects put and removed) otherwise, instead of the whole snapshot,
 * unless more than half the objects changed (docs/channel.md).
 *
 * <table>
 *   <caption>Limits</caption>
 *   <tr><th>what</th><th>value</th></tr>
 *   <tr><td>largest message (one snapshot), decompressed</td><td>{@link ChannelServerConfig#maxMessageBytes()}, 64 MiB by default</td></tr>
 *   <tr><td>fragment size of a large message</td><td>{@value ProxySession#FRAGMENT_BYTES} bytes</td></tr>
 *   <tr><td>ping when nothing was written for</td><td>{@value #PING_SECONDS} s</td></tr>
 *   <tr><td>close when nothing was read for</td><td>{@value #IDLE_SECONDS} s</td></tr>
 *   <tr><td>WebSocket handshake must complete within</td><td>{@value #HANDSHAKE_MILLIS} ms</td></tr>
 * </table>
 *
 * <p>Every push carries the server's {@linkplain #epoch() epoch}, random per start: versions
 * published through one server never go back ({@link #publish} refuses a lower one), so proxies
 * refuse an older version from the same epoch. The epoch names this server, not the leader:
 * every replica serves the channel from its own cache and numbers its own snapshots, so two
 * replicas' versions are not one sequence (see docs/decisions.md).
 *
 * <p>With TLS the certificate and key are re-read every {@value ServerTls#RELOAD_SECONDS} s and
 * a changed pair serves new connections ({@link ServerTls}).
 *
 * <p>Thread-safe. {@link #publish} returns at once; writes happen on the connections' event
 * loops. Listener calls and TLS reloads come from one thread of the server's own.
 */
public final class ChannelServer implements AutoCloseable {
    public static final String PATH = "/v1/channel";
    /** The default message limit ({@link ChannelServerConfig#DEFAULT_MAX_MESSAGE_BYTES}). */
    public static final int MAX_MESSAGE_BYTES = ChannelServerConfig.DEFAULT_MAX_MESSAGE_BYTES;
    static final int MAX_UPGRADE_REQUEST_BYTES = 64 * 1024;
    static final int PING_SECONDS = 10;
    static final int IDLE_SECONDS = 30;
    static final long HANDSHAKE_MILLIS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(ChannelServer.class);

    private final ChannelServerConfig config;
    private final KeepAlive keepAlive;
    private final String epoch = Epochs.random();
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final ChannelGroup connections = new DefaultChannelGroup("channel-connections", GlobalEventExecutor.INSTANCE);
    private final ConcurrentMap<ChannelId, ProxySession> sessions = new ConcurrentHashMap<>();
    private final List<ChannelListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService events = Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("gatehouse-channel-events", true));
    private final Object publishLock = new Object();
    private final ChannelCounters counters = new ChannelCounters();
    private final ChannelCounters.WireBytes wireBytes = counters.new WireBytes();
    private volatile Published latest;
    private volatile boolean closed;
    private Channel listening;
    private int port;
    /** Null without TLS. */
    private volatile ServerTls tls;

    private ChannelServer(ChannelServerConfig config, KeepAlive keepAlive) {
        this.config = config;
        this.keepAlive = keepAlive;
        this.acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gatehouse-channel-accept", true),
                NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("gatehouse-channel", true),
                NioIoHandler.newFactory());
    }

    /** Binds and starts serving; fails (and leaves nothing running) when the address is taken or TLS files are bad. */
    public static ChannelServer start(ChannelServerConfig config) {
        return start(config, KeepAlive.DEFAULT);
    }

    static ChannelServer start(ChannelServerConfig config, KeepAlive keepAlive) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(keepAlive, "keepAlive");
        ChannelServer server = new ChannelServer(config, keepAlive);
        try {
            server.bind();
        } catch (Exception e) { // Netty rethrows the bind's checked exception unchecked
            server.close();
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalStateException("cannot listen on " + config.address() + ":" + config.port()
                    + " (expected: a free address and port): " + e.getMessage(), e);
        }
        return server;
    }

    private void bind() {
        ServerTls tls = config.tls() ? ServerTls.load(config.tlsCert(), config.tlsKey()) : null;
        this.tls = tls;
        byte[] tokenDigest = UpgradeGate.digest(config.token());
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .maxFramePayloadLength(config.maxMessageBytes())
                .allowExtensions(true)
                .handshakeTimeoutMillis(HANDSHAKE_MILLIS)
                .build();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast("tls", tls.context().newHandler(ch.alloc()));
                        }
                        p.addLast("wire-bytes", wireBytes);
                        p.addLast("idle", new IdleStateHandler(keepAlive.idle().toMillis(), keepAlive.ping().toMillis(),
                                0, TimeUnit.MILLISECONDS));
                        p.addLast("http", new HttpServerCodec());
                        p.addLast("upgrade-request", new HttpObjectAggregator(MAX_UPGRADE_REQUEST_BYTES));
                        p.addLast("gate", new UpgradeGate(tokenDigest));
                        // the inflater never allocates more than the limit for one frame; the aggregator bounds the message
                        p.addLast("compression", new WebSocketServerCompressionHandler(config.maxMessageBytes()));
                        p.addLast("websocket", new WebSocketServerProtocolHandler(ws));
                        p.addLast("messages", new WebSocketFrameAggregator(config.maxMessageBytes()));
                        p.addLast("session", new ProxySession(ChannelServer.this));
                    }
                });
        ChannelFuture bound = bootstrap.bind(config.address(), config.port()).syncUninterruptibly();
        listening = bound.channel();
        port = ((InetSocketAddress) listening.localAddress()).getPort();
        LOG.info("event=channel.listening address={} port={} tls={} auth={} epoch={}", config.address(), port(),
                config.tls(), config.token() != null, epoch);
        if (tls != null) {
            events.scheduleWithFixedDelay(tls::reload, ServerTls.RELOAD_SECONDS, ServerTls.RELOAD_SECONDS, TimeUnit.SECONDS);
        } else if (!loopback(config.address())) {
            LOG.warn("event=channel.plaintext address={} port={} risk=\"the bearer token and every snapshot cross the "
                    + "network in clear and proxies cannot tell this controller from another\" fix=\"--tls-cert and --tls-key "
                    + "(the Helm chart does it unless channel.tls.enabled=false)\"", config.address(), port());
        }
    }

    private static boolean loopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Re-reads the TLS files now rather than at the next periodic check; true when a new pair was loaded. */
    boolean reloadTls() {
        ServerTls t = tls;
        return t != null && t.reload();
    }

    /** This server's epoch, sent with every push: 16 hex digits, new at every start. */
    public String epoch() {
        return epoch;
    }

    /** The bound port; the one picked when the config said 0. */
    public int port() {
        return port;
    }

    /**
     * Makes {@code snapshot} the latest and pushes it to every connected proxy that does not have
     * it. The caller versions snapshots; a version lower than the latest published is refused.
     * After {@link #close()} it does nothing.
     */
    public void publish(Snapshot snapshot) {
        publish(snapshot, null);
    }

    /**
     * As {@link #publish(Snapshot)}, with the snapshot's content hash as computed where it was
     * versioned ({@code SnapshotVersions.lastHash()}), so it is not computed again; null computes it.
     */
    public void publish(Snapshot snapshot, String contentHash) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (closed) {
            LOG.debug("event=channel.publish-skipped version={} reason=stopped", snapshot.version());
            return;
        }
        Published next;
        synchronized (publishLock) {
            Published current = latest;
            if (current != null && snapshot.version() < current.version()) {
                throw new IllegalArgumentException("version: " + snapshot.version()
                        + " (expected: >= " + current.version() + ", the latest published)");
            }
            next = Published.of(snapshot, contentHash, epoch, current, config.catchUpVersions());
            latest = next;
        }
        if (next.delta() == null) {
            next.frame(); // every proxy needs the whole snapshot: encode it here, once, not on a connection's loop
        }
        // with a delta, the whole snapshot is encoded only when a proxy needs it (new, not at the base, from
        // before deltas): bytes=- then; each push line tells what a proxy was sent
        int frameBytes = next.frameBytesIfEncoded();
        LOG.info("event=channel.publish version={} hash={} bytes={} delta-bytes={} delta-kind={} delta-changes={} delta-kinds={} "
                        + "proxies={}", next.version(), next.hash(), frameBytes < 0 ? "-" : frameBytes,
                next.delta() == null ? "-" : next.delta().length,
                next.deltaKind() == null ? "-" : ProxySession.kindName(next.deltaKind()), next.deltaCount(),
                next.deltaKinds() == null ? "-" : next.deltaKinds(), sessions.size());
        for (ProxySession session : sessions.values()) {
            session.offer();
        }
    }

    /**
     * Registers the channel's counters: {@code gatehouse_controller_channel_pushes_total{kind=snapshot|endpoints|objects}},
     * {@code …_resyncs_total{kind}}, {@code …_delta_refusals_total{kind}}, {@code …_oversize_total}, {@code …_message_bytes_total} (JSON) and
     * {@code …_wire_bytes_total} (compressed, framed).
     */
    public void bindMeters(MeterRegistry registry) {
        counters.bind(Objects.requireNonNull(registry, "registry"));
    }

    /** The largest message this server sends or takes, decompressed. */
    public int maxMessageBytes() {
        return config.maxMessageBytes();
    }

    ChannelCounters counters() {
        return counters;
    }

    /** The connected proxies (those that said hello), ordered by id. */
    public List<ProxyState> proxies() {
        List<ProxyState> out = new ArrayList<>(sessions.size());
        for (ProxySession session : sessions.values()) {
            ProxyState s = session.state();
            if (s != null) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparing(ProxyState::proxyId).thenComparing(ProxyState::remoteAddress));
        return List.copyOf(out);
    }

    /**
     * True when every connected proxy acknowledged {@code version} or a newer one (or already had
     * equal content). Also true when no proxy is connected: check {@link #connectedCount()} for that.
     */
    public boolean allAcked(long version) {
        for (ProxySession session : sessions.values()) {
            ProxyState s = session.state();
            if (s == null || s.lastAckedVersion() < version) {
                return false;
            }
        }
        return true;
    }

    /** How many connected proxies acknowledged {@code version} or a newer one (or already had equal content). */
    public int ackedAtLeast(long version) {
        int n = 0;
        for (ProxySession session : sessions.values()) {
            ProxyState s = session.state();
            if (s != null && s.lastAckedVersion() >= version) {
                n++;
            }
        }
        return n;
    }

    /** How many connected proxies acknowledged or refused {@code version} or a newer one. */
    public int answeredAtLeast(long version) {
        int n = 0;
        for (ProxySession session : sessions.values()) {
            ProxyState s = session.state();
            if (s != null && (s.lastAckedVersion() >= version || (s.lastNack() != null && s.lastNack().version() >= version))) {
                n++;
            }
        }
        return n;
    }

    /** How many proxies said hello and are still connected. */
    public int connectedCount() {
        return sessions.size();
    }

    public void addListener(ChannelListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(ChannelListener listener) {
        listeners.remove(listener);
    }

    /** Says goodbye to every proxy (close 1001), closes every connection and stops the event loops. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listening != null) {
            listening.close().syncUninterruptibly();
        }
        for (ProxySession session : sessions.values()) {
            session.goAway(); // queued on the connection's loop ahead of the close below
        }
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        events.shutdown();
        try {
            if (!events.awaitTermination(2, TimeUnit.SECONDS)) {
                events.shutdownNow();
            }
        } catch (InterruptedException e) {
            events.shutdownNow();
            Thread.currentThread().interrupt();
        }
        LOG.info("event=channel.stopped port={}", port);
    }

    Published latest() {
        return latest;
    }

    void register(Channel channel, ProxySession session) {
        sessions.put(channel.id(), session);
    }

    void unregister(Channel channel) {
        sessions.remove(channel.id());
    }

    /** Calls every listener on the events thread, in order; a throwing listener is logged and skipped. */
    void notify(Consumer<ChannelListener> call) {
        if (listeners.isEmpty()) {
            return;
        }
        try {
            events.execute(() -> {
                for (ChannelListener listener : listeners) {
                    try {
                        call.accept(listener);
                    } catch (RuntimeException e) {
                        LOG.warn("event=channel.listener-failed listener={} error=\"{}\"",
                                listener.getClass().getName(), e.toString());
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("event=channel.listener-skipped reason=stopped");
        }
    }

    static String remote(Channel channel) {
        SocketAddress a = channel.remoteAddress();
        if (a instanceof InetSocketAddress inet) {
            return inet.getHostString() + ":" + inet.getPort();
        }
        return String.valueOf(a);
    }
}
