package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A controller stand-in that speaks permessage-deflate (RFC 7692) and sends whatever a test
 * wants, whole or in fragments: oversized messages and compression bombs included. Counts the
 * bytes it writes to the socket, so a test can tell what crossed the wire compressed.
 */
final class DeflatingController implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final BlockingQueue<ChannelMessage> received = new LinkedBlockingQueue<>();
    final AtomicLong wireBytes = new AtomicLong();
    private volatile Channel session;

    DeflatingController() throws InterruptedException {
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ChannelClientConfig.DEFAULT_PATH).allowExtensions(true)
                .maxFramePayloadLength(64 * 1024 * 1024).build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                                if (msg instanceof ByteBuf b) {
                                    wireBytes.addAndGet(b.readableBytes());
                                }
                                ctx.write(msg, promise);
                            }
                        }, new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketServerCompressionHandler(), new WebSocketServerProtocolHandler(ws),
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

    void push(Snapshot snapshot, String epoch) {
        send(new String(ChannelCodec.encode(SnapshotPush.of(snapshot, epoch)), StandardCharsets.UTF_8), Integer.MAX_VALUE);
    }

    /** Sends {@code text} as one message, in fragments of at most {@code fragment} bytes; waits until written. */
    void send(String text, int fragment) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Channel ch = session;
        if (bytes.length <= fragment) {
            ch.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(bytes))).syncUninterruptibly();
            return;
        }
        for (int off = 0; off < bytes.length; off += fragment) {
            int len = Math.min(fragment, bytes.length - off);
            boolean last = off + len == bytes.length;
            ByteBuf part = Unpooled.wrappedBuffer(bytes, off, len);
            ch.writeAndFlush(off == 0 ? new TextWebSocketFrame(false, 0, part) : new ContinuationWebSocketFrame(last, 0, part))
                    .syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
