package dev.gatehouse.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/2 backend without TLS (h2c, prior knowledge) on 127.0.0.1 that records every
 * stream it got, frame by frame: the request headers (pseudo-headers included), the DATA bytes,
 * the trailers, and on which of its connections. Answers {@code 200} with {@code x-backend:
 * NAME}; the body is the request body for {@code /echo…} paths, else {@code NAME METHOD PATH};
 * paths starting {@code /trailers} get trailers {@code x-checksum: <body bytes>} and
 * {@code grpc-status: 0}; {@code /hold…} answers wait until {@link #holdUntil} such streams are
 * open. In {@link #goAwayOnFirstStream} mode each connection answers its first stream with a
 * GOAWAY whose last-stream-id is below it (the stream was not processed) and nothing else; with
 * {@link #resetWith} set every stream is reset with that error.
 */
final class H2cBackend implements AutoCloseable {
    /** One stream as received; header names as on the wire (lower case). */
    record Seen(int connection, Map<String, String> headers, byte[] body, Map<String, String> trailers) {
        String header(String name) {
            return headers.get(name);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String name;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Streams whose HEADERS arrived (processed or not). */
    final AtomicInteger streams = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    /** Connections the proxy closed (or lost) so far. */
    final AtomicInteger closedConnections = new AtomicInteger();
    /** The most streams that were open at once on any one connection. */
    final AtomicInteger maxOpenPerConnection = new AtomicInteger();
    /** Response body bytes of {@code /big…} answers written to the socket so far. */
    final java.util.concurrent.atomic.AtomicLong bigSent = new java.util.concurrent.atomic.AtomicLong();
    private final List<Runnable> held = new ArrayList<>();
    volatile int holdUntil = Integer.MAX_VALUE;
    private final List<Runnable> together = new ArrayList<>();
    /** How many {@code /together…} streams are answered at once (one connection: the answers share its loop). */
    volatile int togetherUntil = Integer.MAX_VALUE;
    volatile boolean goAwayOnFirstStream;
    /** When set, every stream is answered with RST_STREAM carrying this error, and nothing else. */
    volatile Http2Error resetWith;

    /** @param maxConcurrentStreams SETTINGS_MAX_CONCURRENT_STREAMS, or 0 for none sent */
    H2cBackend(String name, int maxConcurrentStreams) throws InterruptedException {
        this.name = name;
        Http2Settings settings = Http2Settings.defaultSettings();
        if (maxConcurrentStreams > 0) {
            settings.maxConcurrentStreams(maxConcurrentStreams);
        }
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        int connection = connections.incrementAndGet();
                        ch.closeFuture().addListener(f -> closedConnections.incrementAndGet());
                        AtomicInteger open = new AtomicInteger();
                        AtomicInteger streamsHere = new AtomicInteger();
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().initialSettings(settings).build(),
                                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel stream) {
                                        int n = open.incrementAndGet();
                                        maxOpenPerConnection.accumulateAndGet(n, Math::max);
                                        stream.closeFuture().addListener(f -> open.decrementAndGet());
                                        stream.pipeline().addLast(new StreamHandler(connection, streamsHere.incrementAndGet() == 1));
                                    }
                                }));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {
        private final int connection;
        private final boolean first;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final Map<String, String> trailers = new LinkedHashMap<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private boolean headersDone;

        StreamHandler(int connection, boolean first) {
            this.connection = connection;
            this.first = first;
        }

        /** Bytes of a {@code /big/N} answer still to write; written only while the stream takes them (flow control). */
        private long big;

        private void writeBig(ChannelHandlerContext ctx) {
            while (big > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(16 * 1024, big);
                big -= n;
                ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[n]), big == 0))
                        .addListener(f -> bigSent.addAndGet(n));
            }
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writeBig(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                boolean end;
                if (msg instanceof Http2HeadersFrame h) {
                    Map<String, String> into = headersDone ? trailers : headers;
                    h.headers().forEach(e -> into.merge(e.getKey().toString(), e.getValue().toString(), (a, b) -> a + "," + b));
                    if (!headersDone) {
                        headersDone = true;
                        streams.incrementAndGet();
                        if (first && goAwayOnFirstStream) {
                            goAway(ctx, (Http2StreamChannel) ctx.channel());
                            return;
                        }
                        Http2Error reset = resetWith;
                        if (reset != null) {
                            ctx.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2ResetFrame(reset));
                            return;
                        }
                    }
                    end = h.isEndStream();
                } else if (msg instanceof Http2DataFrame d) {
                    ByteBuf b = d.content();
                    body.write(ByteBufUtil.getBytes(b), 0, b.readableBytes());
                    end = d.isEndStream();
                } else {
                    return;
                }
                if (end) {
                    Seen s = new Seen(connection, headers, body.toByteArray(), trailers);
                    seen.add(s);
                    respond(ctx, s);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx, Seen s) {
            String path = s.header(":path");
            if (path.startsWith("/big/")) {
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200").set("x-backend", name)));
                big = Long.parseLong(path.substring(5));
                writeBig(ctx);
                return;
            }
            Runnable write = () -> {
                byte[] out = path.startsWith("/echo") ? s.body()
                        : (name + " " + s.header(":method") + " " + path).getBytes(StandardCharsets.UTF_8);
                boolean trailers = path.startsWith("/trailers");
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200").set("x-backend", name)
                        .set("content-type", "text/plain")));
                ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(out), !trailers));
                if (trailers) {
                    ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().set("x-checksum", Integer.toString(s.body().length))
                            .set("grpc-status", "0"), true));
                }
            };
            Runnable answer = () -> {
                write.run();
                ctx.flush();
            };
            if (path.startsWith("/together")) {
                answerTogether(ctx, write);
                return;
            }
            if (!path.startsWith("/hold")) {
                answer.run();
                return;
            }
            List<Runnable> release = null;
            synchronized (held) {
                held.add(() -> ctx.executor().execute(answer));
                if (held.size() >= holdUntil) {
                    release = new ArrayList<>(held);
                    held.clear();
                }
            }
            if (release != null) {
                release.forEach(Runnable::run);
            }
        }
    }

    /**
     * Holds {@code /together…} answers until {@link #togetherUntil} streams asked, then writes them
     * all in one task of the connection's loop and flushes the connection once: the answers leave
     * in one TCP write, so the proxy reads them in one batch.
     */
    private void answerTogether(ChannelHandlerContext ctx, Runnable write) {
        List<Runnable> release = null;
        synchronized (together) {
            together.add(write);
            if (together.size() >= togetherUntil) {
                release = new ArrayList<>(together);
                together.clear();
            }
        }
        if (release != null) {
            List<Runnable> writes = release;
            Channel connection = ctx.channel().parent();
            connection.eventLoop().execute(() -> {
                writes.forEach(Runnable::run);
                connection.flush();
            });
        }
    }

    /** A GOAWAY saying the streams from this one on were not processed (last-stream-id below it). */
    private static void goAway(ChannelHandlerContext ctx, Http2StreamChannel stream) {
        Channel parent = stream.parent();
        ChannelHandlerContext codec = parent.pipeline().context(Http2FrameCodec.class);
        ((Http2FrameCodec) codec.handler()).goAway(codec, Math.max(0, stream.stream().id() - 2), Http2Error.NO_ERROR.code(),
                Unpooled.EMPTY_BUFFER, codec.newPromise());
        codec.flush();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
