package dev.gatehouse.controller.channel;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A bare WebSocket peer for tests that need to send what a real proxy never would: it records
 * every text message and the close frame it receives, and sends raw text or binary frames.
 */
final class RawPeer implements AutoCloseable {
    final List<String> texts = new CopyOnWriteArrayList<>();
    volatile String closeFrame;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    private volatile boolean handshaken;

    RawPeer(URI uri) {
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri).handleCloseFrames(false).build();
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(ws), new Recorder());
                    }
                })
                .connect(uri.getHost(), uri.getPort()).syncUninterruptibly().channel();
        Poll.until("raw handshake", () -> handshaken);
    }

    private final class Recorder extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshaken = true;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame t) {
                texts.add(t.text());
            } else if (frame instanceof CloseWebSocketFrame c) {
                closeFrame = c.statusCode() + " " + c.reasonText();
            }
        }
    }

    void sendText(String text) {
        channel.writeAndFlush(new TextWebSocketFrame(text)).syncUninterruptibly();
    }

    void sendBinary(byte[] bytes) {
        channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes))).syncUninterruptibly();
    }

    boolean open() {
        return channel.isActive();
    }

    /** The hello of a proxy of this build that serves nothing yet: it speaks the per-object content hash. */
    static String hello(String proxyId) {
        return "{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"" + proxyId + "\",\"lastVersion\":0,\"features\":[\"objects2\"]}";
    }

    /** The hello of a proxy that serves {@code version} with {@code hash}, takes deltas up to 1 MiB and speaks {@code feature}. */
    static String helloAt(String proxyId, long version, String hash, String feature) {
        return "{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"" + proxyId + "\",\"lastVersion\":" + version
                + ",\"lastHash\":\"" + hash + "\",\"maxMessageBytes\":1048576,\"features\":[\"" + feature + "\"]}";
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
