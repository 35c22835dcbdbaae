package dev.gatehouse.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real WebSocket server (Netty's {@link WebSocketServerProtocolHandler}) that echoes every data
 * frame as it came, records the raw bytes of every request head it receives, the close frames
 * it gets, and when each connection closes. In flood mode it sends {@code floodBytes} of binary
 * frames (byte at stream offset k is {@link #patternByte k}) as fast as its connection takes them.
 */
final class WebSocketBackend implements AutoCloseable {
    static final int FLOOD_FRAME = 64 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    /** Every request head received, as raw bytes (ISO-8859-1), in arrival order. */
    final List<String> heads = new CopyOnWriteArrayList<>();
    /** Connections whose WebSocket handshake completed. */
    final BlockingQueue<Channel> opened = new LinkedBlockingQueue<>();
    /** The status code of every close frame received. */
    final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();
    /** Completed when a connection closes (TCP), one per connection, in accept order. */
    final List<CompletableFuture<Void>> closed = new CopyOnWriteArrayList<>();
    /** Flood mode: completed when the connection first stops taking writes (the proxy stopped reading it). */
    final CompletableFuture<Long> blocked = new CompletableFuture<>();
    final AtomicLong floodSent = new AtomicLong();
    private final long floodBytes;

    WebSocketBackend() throws InterruptedException {
        this(0);
    }

    /** @param floodBytes bytes to send on each connection once its handshake completes; 0 for an echo server */
    WebSocketBackend(long floodBytes) throws InterruptedException {
        this.floodBytes = floodBytes;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, 64 * 1024)
                // the backend is the test's tool, not under test: paranoid leak detection would record
                // every 4-byte unmasking step of a 1 MiB frame; the proxy's buffers stay tracked
                .childOption(ChannelOption.ALLOCATOR, new UnpooledByteBufAllocator(false, true))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        CompletableFuture<Void> done = new CompletableFuture<>();
                        closed.add(done);
                        ch.closeFuture().addListener(f -> done.complete(null));
                        ch.pipeline().addLast(new HeadRecorder(), new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath("/").checkStartsWith(true).handleCloseFrames(false)
                                        .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(4 << 20).build())
                                        .build()),
                                new Echo());
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    static byte patternByte(long offset) {
        return (byte) (offset * 31 + 7);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Records the bytes of each request head before the HTTP codec sees them. */
    private final class HeadRecorder extends ChannelInboundHandlerAdapter {
        private final StringBuilder head = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            head.append(buf.toString(StandardCharsets.ISO_8859_1));
            int end = head.indexOf("\r\n\r\n");
            if (end >= 0) {
                heads.add(head.substring(0, end + 4));
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class Echo extends SimpleChannelInboundHandler<WebSocketFrame> {
        private long offset;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                closeCodes.add(close.statusCode());
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(frame.retain());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                opened.add(ctx.channel());
                flood(ctx);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            flood(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        private void flood(ChannelHandlerContext ctx) {
            while (offset < floodBytes && ctx.channel().isActive()) {
                if (!ctx.channel().isWritable()) {
                    blocked.complete(offset);
                    return;
                }
                int n = (int) Math.min(FLOOD_FRAME, floodBytes - offset);
                byte[] bytes = new byte[n];
                for (int i = 0; i < n; i++) {
                    bytes[i] = patternByte(offset + i);
                }
                ByteBuf payload = ctx.alloc().buffer(n).writeBytes(bytes);
                offset += n;
                floodSent.set(offset);
                ctx.writeAndFlush(new BinaryWebSocketFrame(payload));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** A frame to send from a test thread: written on the connection's loop. */
    static void send(Channel ch, WebSocketFrame frame) {
        ch.writeAndFlush(frame);
    }

    static ByteBuf utf8(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }
}
