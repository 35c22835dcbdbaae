package dev.gatehouse.proxy;

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
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.Objects;

/**
 * A socket transport: its channel classes and the I/O handler of its event loops. Client and
 * upstream channels share one event-loop group, so an upstream connection can live on the client
 * connection's loop; the DNS resolver's UDP channel runs on the same loops, hence
 * {@link #datagramChannel()}.
 *
 * <p>The data plane's transport is chosen with {@code --transport} ({@link #of}); the status
 * server and the health checker, off the hot path, use {@link #best()}.
 *
 * @param name   {@code io_uring}, {@code epoll} or {@code nio}, for the logs
 * @param reason why this one: asked for, or what {@code auto} found
 */
public record Transport(String name, Class<? extends ServerSocketChannel> serverChannel,
                       Class<? extends SocketChannel> socketChannel, Class<? extends DatagramChannel> datagramChannel,
                       IoHandlerFactory ioHandler, String reason) {

    public Transport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(serverChannel, "serverChannel");
        Objects.requireNonNull(socketChannel, "socketChannel");
        Objects.requireNonNull(datagramChannel, "datagramChannel");
        Objects.requireNonNull(ioHandler, "ioHandler");
        Objects.requireNonNull(reason, "reason");
    }

    /** {@code auto}: native epoll when {@link Epoll#isAvailable()}, NIO otherwise. */
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
            case AUTO -> Epoll.isAvailable()
                    ? epoll("auto: epoll is available")
                    : nio("auto: epoll is not available (" + cause(Epoll.unavailabilityCause()) + ")");
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw unavailable("epoll", Epoll.unavailabilityCause(), "Linux on x86_64");
                }
                yield epoll("asked for");
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw unavailable("io_uring", IoUring.unavailabilityCause(),
                            "Linux 5.14 or later on x86_64, io_uring not disabled (sysctl kernel.io_uring_disabled=0) and, "
                                    + "in a container, a seccomp profile that allows io_uring_setup, io_uring_enter and "
                                    + "io_uring_register (Docker's default profile refuses them)");
                }
                yield ioUring("asked for");
            }
            case NIO -> nio("asked for");
        };
    }

    /** Why io_uring cannot run here; null when it can. */
    public static String ioUringUnavailable() {
        return IoUring.isAvailable() ? null : cause(IoUring.unavailabilityCause());
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true), ioHandler);
    }

    private static Transport epoll(String reason) {
        return new Transport("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class,
                EpollIoHandler.newFactory(), reason);
    }

    private static Transport ioUring(String reason) {
        return new Transport("io_uring", IoUringServerSocketChannel.class, IoUringSocketChannel.class,
                IoUringDatagramChannel.class, IoUringIoHandler.newFactory(), reason);
    }

    private static Transport nio(String reason) {
        return new Transport("nio", NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class,
                NioIoHandler.newFactory(), reason);
    }

    private static IllegalStateException unavailable(String name, Throwable cause, String needs) {
        return new IllegalStateException("transport " + name + " is not available on this host: " + cause(cause)
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
