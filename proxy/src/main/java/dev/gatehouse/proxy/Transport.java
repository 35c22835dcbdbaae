package dev.gatehouse.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport: native epoll when {@link Epoll#isAvailable()}, NIO otherwise. Client and
 * upstream channels share one event-loop group, so an upstream connection can live on the
 * client connection's loop.
 */
public record Transport(String name, Class<? extends ServerSocketChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel, IoHandlerFactory ioHandler) {

    public static Transport best() {
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class,
                    EpollIoHandler.newFactory());
        }
        return new Transport("nio", NioServerSocketChannel.class, NioSocketChannel.class, NioIoHandler.newFactory());
    }

    /** The UDP channel of this transport, for the DNS resolver that runs on its event loops. */
    public Class<? extends DatagramChannel> datagramChannel() {
        return socketChannel == EpollSocketChannel.class ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true), ioHandler);
    }
}
