package dev.gatehouse.proxy;

import dev.gatehouse.proxy.forward.UpstreamPool;
import dev.gatehouse.proxy.tls.Listener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One of the proxy's data ports (the cleartext port, or the TLS port), in the three steps that keep traffic out until a snapshot is in place:
 * closed (nothing bound, a client's connect is refused); {@link #bind bound} with accepting
 * paused ({@code AUTO_READ} off on the server channel: the kernel may queue connections in the
 * backlog, none is accepted); {@link #accept accepting}. {@link ProxyServer#apply} binds before it
 * publishes the first snapshot and accepts after, so no connection is ever read without one.
 *
 * <p>A failed bind is final and kept: {@link #failure()} names it, {@link #whenListening()}
 * completes with it. Steps are called under the proxy's lock; the getters are safe from any thread.
 */
final class DataPort {
    private static final Logger LOG = LoggerFactory.getLogger(DataPort.class);
    /** Connections accepted per read of the listener while serving (Netty's default for server channels). */
    private static final int ACCEPT_BATCH = 16;

    private final String name;
    private final String address;
    private final int configuredPort;
    private final int ioThreads;
    private final Listener listener;
    private final Transport transport;
    private final EventLoopGroup group;
    private final ChannelInitializer<Channel> clientChannel;
    private final CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();
    private volatile Channel channel;
    private volatile IllegalStateException failure;
    private volatile boolean closed;
    private final AcceptStop acceptStop = new AcceptStop();

    /**
     * @param name     {@code http} or {@code https}, for the logs
     * @param listener what connections of this port are ({@link Listener#of}), held by the listening channel
     */
    DataPort(String name, String address, int port, int ioThreads, Listener listener, Transport transport, EventLoopGroup group,
             ChannelInitializer<Channel> clientChannel) {
        this.name = name;
        this.address = address;
        this.configuredPort = port;
        this.ioThreads = ioThreads;
        this.listener = listener;
        this.transport = transport;
        this.group = group;
        this.clientChannel = clientChannel;
    }

    /** True once bound (the first snapshot is being or has been applied); stays true after close. */
    boolean bound() {
        return channel != null;
    }

    /** True once accepting (the first snapshot is applied); stays true after close. */
    boolean accepting() {
        return listening.isDone() && !listening.isCompletedExceptionally();
    }

    /**
     * Binds {@code address:port} without accepting yet.
     *
     * @param version the snapshot that opens it, for the log
     * @throws IllegalStateException naming the address, the port and the cause when the bind
     *         fails (then also {@link #failure()}, for good)
     */
    void bind(long version) {
        ServerBootstrap b = transport.serverBootstrap(group)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                // accept batches end at an empty backlog (or 16), whatever the transport guesses: see AcceptStop
                .option(ChannelOption.RCVBUF_ALLOCATOR, new ServerChannelRecvByteBufAllocator().respectMaybeMoreData(false)
                        .maxMessagesPerRead(ACCEPT_BATCH))
                // no childOption(TCP_NODELAY, true): every transport's socket config turns it on when
                // it is made, and setting it again was a second setsockopt per connection
                // (DataPortSocketTest holds it on)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, UpstreamPool.WATER_MARK)
                .attr(Listener.KEY, listener)
                .handler(acceptStop)
                .childHandler(clientChannel);
        try {
            channel = b.bind(address, configuredPort).sync().channel();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            IllegalStateException failed = new IllegalStateException("cannot listen on " + address + ":" + configuredPort + (name.equals("https") ? " (TLS port)" : "")
                    + ": " + e.getMessage() + " (expected: an address of this host and a port no other process listens on; "
                    + "free the port or choose another one)", e);
            failure = failed;
            LOG.error("event=proxy.listen-failed listener={} address={} port={} version={} error=\"{}\"", name, address,
                    configuredPort, version, String.valueOf(e));
            listening.completeExceptionally(failed);
            throw failed;
        }
    }

    /** Starts accepting on the bound port; logs {@code event=proxy.listening}. */
    void accept(long version) {
        Channel bound = channel;
        bound.config().setAutoRead(true);
        InetSocketAddress local = (InetSocketAddress) bound.localAddress();
        LOG.info("event=proxy.listening listener={} address={} port={} transport={} eventLoops={} version={}", name, address,
                local.getPort(), transport.name(), ioThreads, version);
        listening.complete(local);
    }

    /** True once {@link #close()} was called: the port does not accept, and never will again. */
    boolean closed() {
        return closed;
    }

    /** @throws IllegalStateException the bind failure again, when there was one */
    void throwIfFailed() {
        IllegalStateException failed = failure;
        if (failed != null) {
            throw new IllegalStateException(failed.getMessage(), failed);
        }
    }

    /** The bound port; throws before the bind. */
    int port() {
        Channel bound = channel;
        if (bound == null) {
            throw new IllegalStateException("the proxy does not listen on " + address + ":" + configuredPort + (name.equals("https") ? " (TLS port)" : "")
                    + " yet (expected: port() after the first successful apply, which opens it)");
        }
        return ((InetSocketAddress) bound.localAddress()).getPort();
    }

    /** {@code http} or {@code https}. */
    String name() {
        return name;
    }

    /** The failed bind's message; null when none failed. */
    String failure() {
        IllegalStateException failed = failure;
        return failed == null ? null : failed.getMessage();
    }

    /** See {@link ProxyServer#whenListening()}. */
    CompletableFuture<InetSocketAddress> whenListening() {
        CompletableFuture<InetSocketAddress> copy = new CompletableFuture<>();
        listening.whenComplete((address, failed) -> {
            if (failed != null) {
                copy.completeExceptionally(failed);
            } else {
                copy.complete(address);
            }
        });
        return copy;
    }

    /**
     * Stops accepting and unbinds; cancels {@link #whenListening()} when the port never opened.
     * An accepting port is closed by {@link AcceptStop}: new handshakes stopped first (on
     * epoll and io_uring), the connections the kernel already queued or is completing accepted and served
     * rather than reset, then the close.
     *
     * @return the port it had, for the log, or the configured one with "(never opened)"
     */
    String close() {
        closed = true;
        listening.cancel(false);
        Channel bound = channel;
        if (bound == null) {
            return configuredPort + " (never opened)";
        }
        if (bound.isOpen() && bound.config().isAutoRead()) {
            long started = System.nanoTime();
            bound.eventLoop().execute(() -> acceptStop.arm(bound, name));
            // the listener closes itself, SETTLE_MILLIS after the arm runs; a close from here before
            // that would reset what the kernel queued. The arm waits its turn on a busy loop (an
            // io_uring loop runs up to 128 rounds of completions before its tasks): seconds at a
            // load of 30 on two cores (docs/decisions.md, "auto is io_uring"), so only a loop stuck
            // for HANDOFF_MILLIS is closed from here
            if (!bound.closeFuture().awaitUninterruptibly(AcceptStop.SETTLE_MILLIS * 10)) {
                LOG.warn("event=proxy.listener-close-slow port={} waited_ms={}", bound.localAddress(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                bound.closeFuture().awaitUninterruptibly(HANDOFF_MILLIS);
            }
            bound.close().syncUninterruptibly();
            awaitHandOffs(started);
        }
        bound.close().syncUninterruptibly();
        return Integer.toString(((InetSocketAddress) bound.localAddress()).getPort());
    }

    /** How long the close waits for the listener's loop, and then for the hand-off of what it accepted last. */
    private static final long HANDOFF_MILLIS = 30_000;

    /**
     * Waits until every connection the listener accepted has reached its event loop. The listener's
     * loop hands each accepted connection to its own loop (a task there, when it is the other
     * loop): until that task runs, the connection is in no {@code clients} group, so a drain that
     * looked then found no connection left, ended, and stopped the loops, which refused the task
     * and closed the connection with its request unread (a reset; 5 in 100 drains of
     * AcceptStopDrillTest on io_uring at a load of 30). One empty task per loop, queued after the
     * listener closed, runs after every hand-off queued before it.
     */
    private void awaitHandOffs(long started) {
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            if (!loop.submit(() -> { }).awaitUninterruptibly(HANDOFF_MILLIS)) {
                LOG.warn("event=proxy.listener-handoff-slow port={} waited_ms={}", configuredPort,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                return;
            }
        }
    }

    /**
     * The listening channel's own handler, the end of accepting. Closing a listening socket resets
     * every connection the kernel completed but the proxy has not accepted yet (its backlog): a
     * client that just connected and sent its request would see a reset. Accepting until the
     * backlog is empty and closing in the same event-loop step leaves the microseconds between
     * the last {@code accept} and the {@code close}, in which the kernel still completes
     * handshakes on its own (a drill with 16 clients connecting in a loop saw 5 resets in 30
     * drains). So, once armed:
     * <ol>
     *   <li>on epoll and io_uring, a {@link SynFilter} stops new handshakes: a new client's SYN is dropped, and
     *       its retransmission (a second later) meets the closed port and is refused, before it
     *       sent a byte;</li>
     *   <li>for {@link #SETTLE_MILLIS} the listener keeps accepting, in unbounded batches, what the
     *       kernel already queued and the handshakes already under way (their last ACK passes the
     *       filter); those connections are served, with {@code Connection: close};</li>
     *   <li>then it closes. Left: a handshake whose SYN was answered before the filter and whose
     *       ACK takes longer than {@link #SETTLE_MILLIS} to arrive (a client more than that many
     *       milliseconds away, or a lost ACK) is reset.</li>
     * </ol>
     * Where the filter cannot be attached (NIO, another OS, a kernel refusing it;
     * {@code event=proxy.accept-stop mode=close-after-batch reason=…}) the listener closes right
     * after an accept batch that emptied the backlog, or after {@link #FALLBACK_MILLIS} with no
     * connect arriving. The drain delay, by taking the proxy out of load balancing first, is what
     * keeps connects away in the first place. Runs on the listener's event loop.
     */
    private static final class AcceptStop extends ChannelInboundHandlerAdapter {
        /** With the filter: how long handshakes under way have to complete before the close. */
        static final long SETTLE_MILLIS = 100;
        /** Without it: the close when no connect arrives to end a batch. */
        static final long FALLBACK_MILLIS = 20;
        private boolean armed;
        /** True when the filter holds new handshakes off: then only the timer closes. */
        private boolean filtered;

        void arm(Channel listener, String name) {
            if (armed || !listener.isOpen()) {
                return;
            }
            armed = true;
            if (listener.config().getRecvByteBufAllocator() instanceof MaxMessagesRecvByteBufAllocator batch) {
                batch.maxMessagesPerRead(Integer.MAX_VALUE);
            }
            String notFiltered = SynFilter.attach(listener);
            filtered = notFiltered == null;
            if (filtered) {
                LOG.info("event=proxy.accept-stop listener={} port={} mode=syn-filter settle_ms={}", name,
                        ((InetSocketAddress) listener.localAddress()).getPort(), SETTLE_MILLIS);
            } else {
                LOG.info("event=proxy.accept-stop listener={} port={} mode=close-after-batch reason=\"{}\"", name,
                        ((InetSocketAddress) listener.localAddress()).getPort(), notFiltered);
            }
            listener.eventLoop().schedule(() -> {
                listener.close();
            }, filtered ? SETTLE_MILLIS : FALLBACK_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.fireChannelReadComplete();
            if (armed && !filtered) {
                ctx.channel().close();
            }
        }
    }
}
