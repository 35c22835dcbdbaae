package dev.gatehouse.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client with prior knowledge (h2c) for tests, on Netty's own HTTP/2 client codec: one
 * connection, streams opened on demand, each answer collected as a {@link Response} (status,
 * headers, body, or the RST_STREAM that ended it). Bodies up to {@link #KEEP} bytes are kept;
 * beyond that only counted, so large downloads need no memory.
 */
final class H2Client implements AutoCloseable {
    static final int KEEP = 1 << 20;

    /** One stream's end: a response, or a reset ({@code resetError} non-null). */
    record GoAway(int lastStreamId, long errorCode) {
    }

    record Response(int status, Http2Headers headers, byte[] body, long bodyBytes, Http2Headers trailers, Long resetError) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            CharSequence v = headers == null ? null : headers.get(name);
            return v == null ? null : v.toString();
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    /** Every GOAWAY the server sent, in order. */
    final java.util.concurrent.BlockingQueue<GoAway> goAways = new java.util.concurrent.LinkedBlockingQueue<>();
    final CompletableFuture<Http2Settings> settings = new CompletableFuture<>();

    H2Client(int port) throws InterruptedException {
        this(port, Http2Settings.defaultSettings());
    }

    H2Client(int port, Http2Settings initial) throws InterruptedException {
        this(port, initial, null, null);
    }

    /**
     * Over TLS when {@code tls} is given (its ALPN must offer {@code h2}), with SNI {@code sni};
     * the handshake is done and {@code h2} chosen before this returns.
     */
    H2Client(int port, Http2Settings initial, io.netty.handler.ssl.SslContext tls, String sni) throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), sni, port));
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().initialSettings(initial)
                                        .encoderIgnoreMaxHeaderListSize(true).build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                                new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof Http2GoAwayFrame g) {
                                            goAways.add(new GoAway(g.lastStreamId(), g.errorCode()));
                                        } else if (msg instanceof Http2SettingsFrame s) {
                                            settings.complete(s.settings());
                                        }
                                        ReferenceCountUtil.release(msg);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        cause.printStackTrace();
                                        ctx.close();
                                    }

                                });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        if (tls != null) {
            io.netty.handler.ssl.SslHandler handler = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            handler.handshakeFuture().sync();
            if (!"h2".equals(handler.applicationProtocol())) {
                channel.close();
                throw new IllegalStateException("ALPN chose " + handler.applicationProtocol() + ", not h2");
            }
        }
    }

    Channel channel() {
        return channel;
    }

    static Http2Headers headers(String method, String path, String authority) {
        return new DefaultHttp2Headers().method(method).path(path).scheme("http").authority(authority);
    }

    /** Sends {@code headers} and {@code body} (END_STREAM on the last frame) and waits for the answer (10 s). */
    Response exchange(Http2Headers headers, byte[] body) throws Exception {
        return send(headers, body).get(10, TimeUnit.SECONDS);
    }

    CompletableFuture<Response> send(Http2Headers headers, byte[] body) throws InterruptedException {
        Stream s = open();
        boolean noBody = body == null || body.length == 0;
        s.channel.write(new DefaultHttp2HeadersFrame(headers, noBody));
        if (!noBody) {
            s.channel.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
        }
        s.channel.flush();
        return s.response;
    }

    /** A new stream; nothing is sent yet. */
    Stream open() throws InterruptedException {
        Stream s = new Stream();
        s.channel = new Http2StreamChannelBootstrap(channel).handler(s).open().sync().getNow();
        return s;
    }

    /** One stream: its channel to write frames on, its first HEADERS and its end. */
    static final class Stream extends ChannelInboundHandlerAdapter {
        Http2StreamChannel channel;
        final CompletableFuture<Http2Headers> head = new CompletableFuture<>();
        final CompletableFuture<Response> response = new CompletableFuture<>();
        /** The error code of a RST_STREAM from the server, whenever it came. */
        final CompletableFuture<Long> reset = new CompletableFuture<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private long bodyBytes;
        private Http2Headers headers;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame h) {
                    if (headers == null || h.headers().status() != null && headers.status().charAt(0) == '1') {
                        headers = h.headers();
                        head.complete(h.headers());
                        if (h.isEndStream()) {
                            finish(null);
                        }
                    } else {
                        finish(h.headers());
                    }
                } else if (msg instanceof Http2DataFrame d) {
                    int n = d.content().readableBytes();
                    bodyBytes += n;
                    if (body.size() + n <= KEEP) {
                        d.content().getBytes(d.content().readerIndex(), body, n);
                    }
                    if (d.isEndStream()) {
                        finish(null);
                    }
                }
            } catch (java.io.IOException e) {
                response.completeExceptionally(e);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void finish(Http2Headers trailers) {
            response.complete(new Response(Integer.parseInt(headers.status().toString()), headers, body.toByteArray(),
                    bodyBytes, trailers, null));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame r) {
                reset.complete(r.errorCode());
                response.complete(new Response(headers == null ? 0 : Integer.parseInt(headers.status().toString()), headers,
                        body.toByteArray(), bodyBytes, null, r.errorCode()));
                head.completeExceptionally(new IllegalStateException("reset " + r.errorCode()));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            response.completeExceptionally(new IllegalStateException("stream closed without an answer"));
            head.completeExceptionally(new IllegalStateException("stream closed without a head"));
        }

        private long toSend;
        private boolean pumping;
        private static final byte[] BLOCK = new byte[16 * 1024];

        /** Sends {@code bytes} of request body as the stream's window allows (END_STREAM on the last); from any thread. */
        void upload(long bytes) {
            channel.eventLoop().execute(() -> {
                toSend = bytes;
                pumping = true;
                pump();
            });
        }

        private void pump() {
            while (pumping && channel.isWritable()) {
                int n = (int) Math.min(BLOCK.length, toSend);
                toSend -= n;
                boolean end = toSend == 0;
                channel.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(BLOCK, 0, n), end));
                if (end) {
                    pumping = false;
                }
            }
            channel.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                pump();
            }
        }

        /** Resets the stream from the client's side ({@code CANCEL}). */
        void cancel() {
            channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        }

        /** Writes a DATA frame (flushes). */
        void data(ByteBuf bytes, boolean end) {
            channel.writeAndFlush(new DefaultHttp2DataFrame(bytes, end));
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
