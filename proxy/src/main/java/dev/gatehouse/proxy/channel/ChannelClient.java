package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Snapshot;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketClientCompressionHandler;
import dev.gatehouse.proxy.balance.DnsResolvers;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proxy's end of the snapshot channel: dials the controller, says hello with what it serves,
 * applies every pushed snapshot through the {@link SnapshotSink}, answers ack or nack, and keeps
 * the last acknowledged snapshot on disk (see {@link #loadPersisted}).
 *
 * <p>Never gives up: when the connection fails or drops it retries forever with {@link Backoff}
 * (100 ms doubling to 5 s, full jitter), and the sink keeps serving what it has meanwhile. Logs
 * one line per change ({@code event=channel.connected}, {@code event=channel.disconnected}); of a
 * run of failed attempts, the first, every {@value #LOG_EVERY}th and any whose reason changed. A 401
 * is {@code event=channel.refused reason=unauthorized} and retried like any failure, since the
 * token Secret may be fixed later; so is a controller certificate the pinned CA did not sign
 * ({@code reason=untrusted-certificate}) or that names another host ({@code reason=certificate-name-mismatch}).
 *
 * <p>On {@code wss://} the proxy trusts only {@link ChannelClientConfig#caFile()} ({@link ChannelTrust}).
 *
 * <p>The connection runs on one event loop of the client's own; decoding, {@link SnapshotSink#apply}
 * and the write to disk run on one apply thread of its own, so a large snapshot never stalls pings
 * or the socket. Messages are applied one at a time, in order (the controller has at most one
 * unanswered, and sends only the newest). Nothing on the loop waits on the network: the
 * controller's name is resolved by the asynchronous DNS resolver, and the proxy's apply never
 * waits for DNS (names of targets are looked up after it returns).
 *
 * <p>Messages travel compressed (permessage-deflate, RFC 7692) and are limited to
 * {@link ChannelClientConfig#maxMessageBytes()} decompressed: the inflater allocates at most
 * that for one frame, the aggregator refuses a message that grows past it. A refused message is
 * answered with a NACK ({@code event=channel.oversize}, {@code gatehouse_channel_oversize_total})
 * and the proxy keeps serving what it has.
 *
 * <table>
 *   <caption>Limits</caption>
 *   <tr><th>what</th><th>value</th></tr>
 *   <tr><td>largest message (one snapshot), decompressed</td><td>{@link ChannelClientConfig#maxMessageBytes()}, 64 MiB by default</td></tr>
 *   <tr><td>TCP connect timeout</td><td>{@value #CONNECT_TIMEOUT_MILLIS} ms</td></tr>
 *   <tr><td>WebSocket handshake timeout</td><td>{@value #HANDSHAKE_MILLIS} ms</td></tr>
 *   <tr><td>ping when nothing was written for</td><td>{@value #PING_SECONDS} s</td></tr>
 *   <tr><td>close when nothing was read for (the controller pings every 10 s)</td><td>{@value #IDLE_SECONDS} s</td></tr>
 *   <tr><td>a connection that lasted this long resets the backoff</td><td>{@value #STABLE_SECONDS} s</td></tr>
 * </table>
 */
public final class ChannelClient implements AutoCloseable {
    /** The default message limit ({@link ChannelClientConfig#DEFAULT_MAX_MESSAGE_BYTES}). */
    public static final int MAX_MESSAGE_BYTES = ChannelClientConfig.DEFAULT_MAX_MESSAGE_BYTES;
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    static final long HANDSHAKE_MILLIS = 10_000;
    static final int PING_SECONDS = 10;
    static final int IDLE_SECONDS = 30;
    static final int STABLE_SECONDS = 5;
    static final int LOG_EVERY = 10;

    private static final Logger LOG = LoggerFactory.getLogger(ChannelClient.class);

    private final ChannelClientConfig config;
    private final SnapshotApplier applier;
    /** Null for ws://. */
    private final ChannelTrust trust;
    private final Backoff backoff;
    private final EventLoopGroup group;
    /** Decodes and applies messages, off the event loop; one thread, so in order. */
    private final ScheduledExecutorService applyThread;
    /** Writes the snapshot to the state directory, so that an apply never waits for the disk. */
    private final ExecutorService persistThread;
    private final ApplyWorker worker;
    /** Resolves the controller's name without blocking the loop; null when it is named by its IP address (local and demo mode's own). */
    private final AddressResolverGroup<InetSocketAddress> dns;

    // confined to the event loop
    private Channel channel;
    private ScheduledFuture<?> retry;
    private int failures;
    private String lastFailure;

    private volatile boolean connected;
    private volatile boolean closed;

    private ChannelClient(ChannelClientConfig config, SnapshotSink sink, Backoff backoff) {
        this.config = config;
        this.applyThread = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("gatehouse-channel-apply", true));
        this.persistThread = Executors.newSingleThreadExecutor(new DefaultThreadFactory("gatehouse-channel-persist", true));
        this.applier = new SnapshotApplier(sink, config.stateDir(), applyThread, System::currentTimeMillis, persistThread);
        this.worker = new ApplyWorker(config, applier, applyThread);
        this.backoff = backoff;
        this.trust = ChannelTrust.of(config);
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gatehouse-channel-client", true),
                NioIoHandler.newFactory());
        if (NetUtil.createByteArrayFromIpAddressString(config.controller().getHost()) != null) {
            this.dns = null;
        } else {
            this.dns = DnsResolvers.forBootstrap(NioDatagramChannel.class);
            dns.getResolver(group.next()); // built here, off the client's loop
        }
    }

    /** Starts dialing {@code config.controller()} in the background and returns at once. */
    public static ChannelClient start(ChannelClientConfig config, SnapshotSink sink) {
        return start(config, sink, Backoff.standard());
    }

    static ChannelClient start(ChannelClientConfig config, SnapshotSink sink, Backoff backoff) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(sink, "sink");
        ChannelClient client = new ChannelClient(config, sink, backoff);
        LOG.info("event=channel.starting controller={} proxy={} stateDir={} tls={} ca-file={}", config.controller(),
                config.proxyId(), config.stateDir(), client.trust == null ? "off" : client.trust.mode(),
                config.caFile() == null ? "-" : config.caFile());
        if (client.trust == null && !loopback(config.controller().getHost())) {
            LOG.warn("event=channel.plaintext controller={} risk=\"the bearer token and every snapshot cross the network in "
                    + "clear, and any host answering at this address is trusted\" fix=\"wss:// with --ca-file (the Helm chart "
                    + "does it unless channel.tls.enabled=false)\"", config.controller());
        }
        client.group.execute(client::connect);
        return client;
    }

    /**
     * The snapshot last acknowledged by a proxy with {@code stateDir}; null when there is none, or
     * when the file cannot be read or parsed (logged as {@code event=channel.persisted-ignored}).
     */
    public static Snapshot loadPersisted(Path stateDir) {
        return SnapshotStore.load(stateDir);
    }

    /** True for a literal loopback address or {@code localhost}; no lookup. */
    private static boolean loopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (!h.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress(); // a literal: parsed, not resolved
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Pushes refused because their version went back within their controller epoch (NACKed). */
    public long staleSnapshotsRefused() {
        return applier.staleRefused();
    }

    /**
     * Registers {@code gatehouse.channel.snapshots.stale} ({@link #staleSnapshotsRefused()}),
     * {@code gatehouse.channel.deltas.applied}, {@code gatehouse.channel.deltas.refused} (NACKed for
     * their content), {@code gatehouse.channel.resyncs} (deltas answered with a resync request), each
     * with {@code kind=endpoints|objects}, {@code gatehouse.channel.oversize} (messages refused for their size)
     * and {@code gatehouse.channel.message.bytes} (decompressed bytes of messages received).
     */
    public void bindMeters(MeterRegistry registry) {
        FunctionCounter.builder("gatehouse.channel.snapshots.stale", this, ChannelClient::staleSnapshotsRefused)
                .description("Snapshots refused (NACKed) because their version went back within one controller epoch")
                .register(registry);
        for (SnapshotApplier.DeltaCounts c : applier.deltaCounts()) {
            FunctionCounter.builder("gatehouse.channel.deltas.applied", c, SnapshotApplier.DeltaCounts::applied)
                    .tag("kind", c.kind).description("Deltas applied").register(registry);
            FunctionCounter.builder("gatehouse.channel.deltas.refused", c, SnapshotApplier.DeltaCounts::refused)
                    .tag("kind", c.kind).description("Deltas refused (NACKed) for their content").register(registry);
            FunctionCounter.builder("gatehouse.channel.resyncs", c, SnapshotApplier.DeltaCounts::resyncs)
                    .tag("kind", c.kind)
                    .description("Deltas not at this proxy's version, answered with a request for the whole snapshot")
                    .register(registry);
        }
        FunctionCounter.builder("gatehouse.channel.oversize", worker.oversize, LongAdder::doubleValue)
                .description("Channel messages refused (NACKed) for exceeding the message limit").register(registry);
        FunctionCounter.builder("gatehouse.channel.message.bytes", worker.messageBytes, LongAdder::doubleValue)
                .description("Bytes of channel messages received, decompressed").baseUnit("bytes").register(registry);
    }

    /** Endpoint deltas applied so far. */
    public long deltasApplied() {
        return applier.deltasApplied();
    }

    /** Object deltas applied so far. */
    public long objectDeltasApplied() {
        return applier.objectDeltasApplied();
    }

    /** Messages refused (NACKed) for their size so far. */
    public long oversizeRefused() {
        return worker.oversize.sum();
    }

    /** True between a completed WebSocket handshake and the connection's end. */
    public boolean connected() {
        return connected;
    }

    /** The version of the snapshot last applied through this client (initially the sink's current one; 0 for none). */
    public long lastAppliedVersion() {
        return applier.lastAppliedVersion();
    }

    /**
     * Stops retrying, says goodbye to the controller (close 1000) and stops the event loop; waits
     * up to about 3 s, then lets the apply thread finish the message in hand (up to 5 s more) and
     * the writer a trailing write to disk (up to 5 s more). Not to be called from
     * {@link SnapshotSink#apply}, which runs on that thread.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        group.submit(() -> {
            if (retry != null) {
                retry.cancel(false);
            }
            if (channel != null) {
                if (connected && channel.isActive()) {
                    channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
                }
                channel.close();
            }
        }).awaitUninterruptibly(1, TimeUnit.SECONDS);
        if (dns != null) {
            dns.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        applyThread.execute(applier::persistPending); // the trailing write of a burst of deltas, if one is due
        applyThread.shutdown();
        try {
            if (!applyThread.awaitTermination(5, TimeUnit.SECONDS)) {
                applyThread.shutdownNow();
            }
            persistThread.shutdown(); // after the apply thread: it hands the trailing write over
            if (!persistThread.awaitTermination(5, TimeUnit.SECONDS)) {
                persistThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            applyThread.shutdownNow();
            persistThread.shutdownNow();
            Thread.currentThread().interrupt();
        }
        LOG.info("event=channel.stopped controller={} proxy={}", config.controller(), config.proxyId());
    }

    private void connect() {
        retry = null;
        if (closed) {
            return;
        }
        ControllerSession session = new ControllerSession(this);
        SslContext ssl = trust == null ? null : trust.current();
        Bootstrap bootstrap = new Bootstrap();
        if (dns != null) {
            bootstrap.resolver(dns);
        }
        ChannelFuture connecting = bootstrap
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                // TCP_NODELAY is on without an option: NIO's socket config sets it (UpstreamSocketTest)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, session, ssl);
                    }
                })
                .connect(config.controller().getHost(), config.port());
        channel = connecting.channel();
        connecting.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                channel = null;
                attemptFailed(FailureReason.describe(f.cause()));
                return;
            }
            f.channel().closeFuture().addListener(closedFuture -> ended(session));
        });
    }

    private void pipeline(SocketChannel ch, ControllerSession session, SslContext ssl) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (config.token() != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + config.token());
        }
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(config.controller())
                .customHeaders(headers)
                .maxFramePayloadLength(config.maxMessageBytes())
                .allowExtensions(true)
                .handshakeTimeoutMillis(HANDSHAKE_MILLIS)
                .handleCloseFrames(false)
                .build();
        ChannelPipeline p = ch.pipeline();
        if (ssl != null) {
            p.addLast("tls", ssl.newHandler(ch.alloc(), config.controller().getHost(), config.port()));
        }
        p.addLast("idle", new IdleStateHandler(IDLE_SECONDS, PING_SECONDS, 0, TimeUnit.SECONDS));
        p.addLast("http", new HttpClientCodec());
        p.addLast("upgrade-response", new HttpObjectAggregator(64 * 1024));
        // the inflater allocates at most the limit for one frame; the aggregator bounds the whole message
        p.addLast("compression", new WebSocketClientCompressionHandler(config.maxMessageBytes()));
        p.addLast("websocket", new WebSocketClientProtocolHandler(ws));
        p.addLast("messages", new WebSocketFrameAggregator(config.maxMessageBytes()));
        p.addLast("session", session);
    }

    /**
     * Returns once everything handed to the apply thread before this call has run, the answers it
     * wrote included. For tests on an {@code EmbeddedChannel}, which the apply thread writes to from its
     * own thread: the test touches the channel only after this, never at the same time.
     */
    void awaitApplyThread() throws Exception {
        applyThread.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }

    /** The handshake completed: log the change and send the hello, made on the apply thread (it reads what is served). */
    void handshaken(Channel ch) {
        connected = true;
        int afterFailures = failures;
        lastFailure = null;
        worker.hello(ch, afterFailures);
    }

    /** Decodes and applies one message off the loop and writes the answer; takes ownership of {@code content}. */
    void receive(Channel ch, ByteBuf content) {
        worker.receive(ch, content);
    }

    /** A message over the limit was dropped by the aggregator or the inflater: NACK it. */
    void oversize(Channel ch, String detail, boolean thenClose) {
        worker.oversize(ch, detail, thenClose);
    }

    /** A connection ended, after or before its handshake. */
    private void ended(ControllerSession session) {
        channel = null;
        if (!session.handshaken()) {
            attemptFailed(session.endReason() == null ? "closed-before-handshake" : session.endReason());
            return;
        }
        connected = false;
        if (closed) {
            return;
        }
        long lived = System.nanoTime() - session.handshakenAtNanos();
        if (lived >= TimeUnit.SECONDS.toNanos(STABLE_SECONDS)) {
            failures = 0;
        }
        long delay = backoff.delayMillis(failures);
        failures++;
        LOG.warn("event=channel.disconnected controller={} proxy={} reason=\"{}\" retry-in-ms={}", config.controller(),
                config.proxyId(), session.endReason() == null ? "connection-closed" : session.endReason(), delay);
        schedule(delay);
    }

    private void attemptFailed(String reason) {
        if (closed) {
            return;
        }
        long delay = backoff.delayMillis(failures);
        failures++;
        if (failures == 1 || failures % LOG_EVERY == 0 || !reason.equals(lastFailure)) {
            if ("unauthorized".equals(reason)) {
                LOG.warn("event=channel.refused reason=unauthorized controller={} proxy={} failures={} retry-in-ms={}",
                        config.controller(), config.proxyId(), failures, delay);
            } else if (FailureReason.certificateRefused(reason)) {
                int colon = reason.indexOf(": ");
                LOG.warn("event=channel.refused reason={} controller={} proxy={} ca-file={} failures={} retry-in-ms={} "
                                + "detail=\"{}\" fix=\"{}\"", reason.substring(0, colon), config.controller(), config.proxyId(),
                        config.caFile(), failures, delay, reason.substring(colon + 2), FailureReason.fix(reason));
            } else {
                LOG.warn("event=channel.connect-failed controller={} proxy={} reason=\"{}\" failures={} retry-in-ms={}",
                        config.controller(), config.proxyId(), reason, failures, delay);
            }
        }
        lastFailure = reason;
        schedule(delay);
    }

    private void schedule(long delayMillis) {
        if (closed || group.isShuttingDown()) {
            return;
        }
        retry = group.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
    }
}
