package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller's end of the snapshot channel, reduced to what a proxy test needs: accepts one
 * proxy's WebSocket on loopback, records every message it sends, pushes snapshots on demand.
 */
final class FakeController implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final BlockingQueue<ChannelMessage> received = new LinkedBlockingQueue<>();
    private volatile Channel session;

    FakeController() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketServerProtocolHandler(ChannelClientConfig.DEFAULT_PATH),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                        session = ctx.channel();
                                        received.add(ChannelCodec.decode(ByteBufUtil.getBytes(f.content())));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    URI uri() {
        return URI.create("ws://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort()
                + ChannelClientConfig.DEFAULT_PATH);
    }

    /** The next message the proxy sent, waited for up to {@code within}. */
    <T extends ChannelMessage> T next(Class<T> type, Duration within) throws InterruptedException {
        ChannelMessage m = received.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("a %s from the proxy within %s", type.getSimpleName(), within).isInstanceOf(type);
        return type.cast(m);
    }

    /** Pushes {@code snapshot} to the connected proxy (after its hello). */
    void push(Snapshot snapshot) {
        push(snapshot, null);
    }

    /** Pushes {@code snapshot} as controller epoch {@code epoch} (null: none), in any order a test wants. */
    void push(Snapshot snapshot, String epoch) {
        session.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(
                ChannelCodec.encode(SnapshotPush.of(snapshot, epoch)))));
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
