package dev.gatehouse.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringAdaptiveBufferRingAllocator;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * A socket transport: its channel classes and the I/O handler of its event loops. Client and
 * upstream channels share one event-loop group, so an upstream connection can live on the client
 * connection's loop; the DNS resolver's UDP channel runs on the same loops, hence
 * {@link #datagramChannel()}.
 *
 * <p>The data plane's transport is chosen with {@code --transport} ({@link #of}); the status
 * server and the health checker, off the hot path, use {@link #best()}. Every stream channel is
 * made through {@link #bootstrap} or {@link #serverBootstrap}, which give it what its transport
 * needs to read correctly.
 *
 * <p><b>io_uring reads from a provided buffer ring.</b> Each io_uring loop registers one ring of
 * receive buffers ({@link #READ_RING}), and every stream channel reads from it: Netty then submits a
 * {@code recv} for each {@code read()} (the kernel waits for data inside it and picks a buffer only
 * when data is there), instead of waiting with a {@code POLL_ADD} first. Netty 4.2.18's poll-first
 * reads have two faults (docs/decisions.md, "io_uring reads from a provided buffer ring"): a
 * multishot poll misses a reset that arrives with the last data (the connection then waits for its
 * timeout), and a one-shot poll armed by a {@code read()} after {@code close()} keeps the closed
 * socket open. A {@code recv} completes with the reset, and Netty never submits one after
 * {@code close()}. Multishot {@code recv} is turned off ({@link #RECV_MULTISHOT}): with
 * {@code AUTO_READ} off, a multishot {@code recv} is cancelled after each read, two more ring
 * operations per request.
 *
 * @param name   {@code io_uring}, {@code epoll} or {@code nio}, for the logs
 * @param reason why this one: asked for, or what {@code auto} found
 * @param ringFailures the buffers the read rings of this transport's loops could not allocate
 *               ({@link RingAllocator}); each {@link #of} makes its own, so a proxy counts its
 *               own loops. Always 0 but on io_uring
 */
public record Transport(String name, Class<? extends ServerSocketChannel> serverChannel,
                       Class<? extends SocketChannel> socketChannel, Class<? extends DatagramChannel> datagramChannel,
                       IoHandlerFactory ioHandler, String reason, LongAdder ringFailures) {

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    /** The buffer group id of the io_uring read ring, the same on every loop. */
    static final short READ_RING = 0;
    /** Ring entries (a power of two): the most buffers the kernel may fill between two refills of a loop. */
    static final short READ_RING_ENTRIES = 256;
    /** Buffers put in the ring at start, and added each time it runs dry (up to {@link #READ_RING_ENTRIES}). */
    static final int READ_RING_BATCH = 64;
    /** Netty's switch for multishot {@code recv}, read once when its io_uring classes load. */
    static final String RECV_MULTISHOT = "io.netty.iouring.recvMultiShotEnabled";

    static {
        // tests and embedders make proxies without the launcher: loading this class sets it too
        configureNetty();
    }

    /**
     * Sets the JVM-wide Netty settings Gatehouse's io_uring transport reads with (multishot
     * {@code recv} off, {@link #RECV_MULTISHOT}) unless the operator set them with {@code -D}. Netty
     * reads them once, when its {@code IoUring} class loads, and more than Gatehouse loads that class:
     * building a Vert.x instance (the Kubernetes client's HTTP client) probes every native transport
     * in Vert.x's {@code Transport} class initialiser. So the launcher calls this first thing in
     * {@code main}, before anything else runs; loading this class calls it too, for processes
     * without the launcher (tests). The one place these settings are made. Idempotent.
     */
    public static void configureNetty() {
        if (System.getProperty(RECV_MULTISHOT) == null) {
            System.setProperty(RECV_MULTISHOT, "false");
        }
    }

    public Transport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(serverChannel, "serverChannel");
        Objects.requireNonNull(socketChannel, "socketChannel");
        Objects.requireNonNull(datagramChannel, "datagramChannel");
        Objects.requireNonNull(ioHandler, "ioHandler");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(ringFailures, "ringFailures");
    }

    /** {@code auto}: io_uring, else epoll, else NIO ({@link #of}). */
    public static Transport best() {
        return of(TransportChoice.AUTO);
    }

    /**
     * The transport {@code choice} names. {@code auto} never fails (NIO runs everywhere); a
     * transport asked for by name that this host cannot run is refused: falling back would hide
     * the choice the operator made.
     *
     * @throws IllegalStateException naming the transport, why it cannot run here and the fix
     */
    public static Transport of(TransportChoice choice) {
        Objects.requireNonNull(choice, "choice");
        return switch (choice) {
            case AUTO -> {
                String noIoUring = ioUringUnavailable();
                if (noIoUring == null) {
                    yield ioUring("auto: io_uring is available");
                }
                yield Epoll.isAvailable()
                        ? epoll("auto: io_uring is not available (" + noIoUring + ")")
                        : nio("auto: io_uring is not available (" + noIoUring + "), nor epoll ("
                                + cause(Epoll.unavailabilityCause()) + ")");
            }
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw unavailable("epoll", cause(Epoll.unavailabilityCause()), "Linux on x86_64", Epoll.unavailabilityCause());
                }
                yield epoll("asked for");
            }
            case IO_URING -> {
                String noIoUring = ioUringUnavailable();
                if (noIoUring != null) {
                    throw unavailable("io_uring", noIoUring,
                            "Linux 5.19 or later on x86_64, io_uring not disabled (sysctl kernel.io_uring_disabled=0) and, "
                                    + "in a container, a seccomp profile that allows io_uring_setup, io_uring_enter and "
                                    + "io_uring_register (Docker's default profile refuses them)",
                            IoUring.unavailabilityCause());
                }
                yield ioUring("asked for");
            }
            case NIO -> nio("asked for");
        };
    }

    /**
     * Why io_uring cannot run here; null when it can: Netty's io_uring loads and the kernel
     * registers provided buffer rings (5.19+), which every io_uring read here uses.
     */
    public static String ioUringUnavailable() {
        if (!IoUring.isAvailable()) {
            return cause(IoUring.unavailabilityCause());
        }
        return IoUring.isRegisterBufferRingSupported() ? null
                : "the kernel does not register provided buffer rings (IORING_REGISTER_PBUF_RING, Linux 5.19+)";
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true), ioHandler);
    }

    /** A bootstrap of this transport's stream channels on {@code group}, each reading as its transport needs. */
    public Bootstrap bootstrap(EventLoopGroup group) {
        Bootstrap b = new Bootstrap().group(group).channel(socketChannel);
        if (readsFromRing()) {
            b.option(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, READ_RING);
        }
        return b;
    }

    /** A server bootstrap of this transport on {@code group}; each accepted channel reads as its transport needs. */
    public ServerBootstrap serverBootstrap(EventLoopGroup group) {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(serverChannel);
        if (readsFromRing()) {
            b.childOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, READ_RING);
        }
        return b;
    }

    /** True when stream channels read from the loop's provided buffer ring (io_uring). */
    boolean readsFromRing() {
        return socketChannel == IoUringSocketChannel.class;
    }

    private static Transport epoll(String reason) {
        return new Transport("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class,
                EpollIoHandler.newFactory(), reason, new LongAdder());
    }

    private static Transport ioUring(String reason) {
        return ioUring(reason, ByteBufAllocator.DEFAULT);
    }

    /** io_uring whose read rings take their buffers from {@code buffers} (a test's failing allocator). */
    static Transport ioUring(String reason, ByteBufAllocator buffers) {
        if (IoUring.isRecvMultishotEnabled() && !Boolean.getBoolean(RECV_MULTISHOT)) {
            // Netty's IoUring loaded before configureNetty() ran: reads cost a cancel more per request
            LOG.warn("event=proxy.transport.settings name=io_uring recv_multishot=true error=\"Netty's io_uring classes loaded"
                    + " before Gatehouse set {}=false\" fix=\"call Transport.configureNetty() before anything loads Netty's"
                    + " io_uring, or set -D{}=false\"", RECV_MULTISHOT, RECV_MULTISHOT);
        }
        // one config per loop: the ring's allocator sizes its buffers from that loop's reads, unshared;
        // the loops' failures count in one sum, this transport's
        LongAdder failures = new LongAdder();
        IoHandlerFactory perLoop = executor -> IoUringIoHandler.newFactory(new IoUringIoHandlerConfig()
                .setBufferRingConfig(IoUringBufferRingConfig.builder()
                        .bufferGroupId(READ_RING)
                        .bufferRingSize(READ_RING_ENTRIES)
                        .batchSize(READ_RING_BATCH)
                        // a buffer per read, as without a ring (incremental consumption, 6.12+, shares one
                        // buffer between the reads of several connections; not needed for correctness)
                        .incremental(false)
                        .allocator(new RingAllocator(new IoUringAdaptiveBufferRingAllocator(buffers), failures))
                        .build()))
                .newHandler(executor);
        return new Transport("io_uring", IoUringServerSocketChannel.class, IoUringSocketChannel.class,
                IoUringDatagramChannel.class, perLoop, reason, failures);
    }

    private static Transport nio(String reason) {
        return new Transport("nio", NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class,
                NioIoHandler.newFactory(), reason, new LongAdder());
    }

    private static IllegalStateException unavailable(String name, String why, String needs, Throwable cause) {
        return new IllegalStateException("transport " + name + " is not available on this host: " + why
                + " (expected: " + needs + "; or --transport auto)", cause);
    }

    private static String cause(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root == t ? String.valueOf(t.getMessage()) : t.getMessage() + ": " + root.getMessage();
        return root.getClass().getSimpleName() + ": " + message;
    }
}
