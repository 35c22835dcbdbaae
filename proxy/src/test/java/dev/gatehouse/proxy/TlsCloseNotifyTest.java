package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy ends TLS connections cleanly: before the TCP end the client gets {@code close_notify}
 * (RFC 8446 §6.1), so its TLS stack sees a closure, not a truncation. Netty's client
 * {@link SslHandler} completes {@link SslHandler#sslCloseFuture()} successfully only when
 * {@code close_notify} arrived; a bare FIN fails it. Over the drain's half-close of a quiet
 * keep-alive connection, the client idle timeout, the drain's close of an HTTP/2 connection
 * (after its GOAWAY), and the close after a response to {@code Connection: close}, whose last
 * records leave with {@code close_notify} when they are small and before it otherwise.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsCloseNotifyTest extends TlsTestBase {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private CompletableFuture<Void> closing;

    /** Runs before the base's stop, which then closes the backends and clients (and the proxy, unless a test closed it). */
    @AfterEach
    void awaitCloseAndStopClientLoop() throws Exception {
        if (closing != null) {
            closing.get(20, TimeUnit.SECONDS);
            proxy = null;
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void start(ProxyConfig config) throws Exception {
        start(config, backend("b"));
    }

    private void start(ProxyConfig config, Backend b) throws Exception {
        proxy = ProxyServer.start(config.withTls(TlsConfig.on(0)));
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", b.port())), List.of(),
                List.of(leaf.certificate("default/api-tls", "api.example.com"))))).isEmpty();
    }

    /** A keep-alive HTTP/1.1 client over TLS; the responses it reads go to {@code responses}. */
    private Channel connect(LinkedBlockingQueue<Integer> responses) throws Exception {
        Channel ch = open(1 << 16, res -> responses.add(res.status().code()));
        assertThat(ch.pipeline().get(SslHandler.class).handshakeFuture().await(10, TimeUnit.SECONDS)).isTrue();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a");
        req.headers().set(HttpHeaderNames.HOST, "api.example.com");
        ch.writeAndFlush(req);
        assertThat(responses.poll(10, TimeUnit.SECONDS)).isEqualTo(200);
        return ch;
    }

    /** An HTTP/1.1 client over TLS to the proxy (SNI {@code api.example.com}); each whole response goes to {@code onResponse}. */
    private Channel open(int maxContent, Consumer<FullHttpResponse> onResponse) throws Exception {
        SslContext tls = SslContextBuilder.forClient().trustManager(ca.ca()).build();
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(tls.newHandler(c.alloc(), "api.example.com", proxy.tlsPort()))
                                .addLast(new HttpClientCodec())
                                .addLast(new HttpObjectAggregator(maxContent))
                                .addLast(new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
                                        onResponse.accept(res);
                                    }
                                });
                    }
                })
                .connect("127.0.0.1", proxy.tlsPort()).sync().channel();
    }

    private static void assertClosedWithCloseNotify(Channel ch) throws InterruptedException {
        assertClosedWithCloseNotify(ch, ch.pipeline().get(SslHandler.class));
    }

    /** With the channel's TLS handler taken before the close (a closed channel's pipeline lets go of its handlers). */
    private static void assertClosedWithCloseNotify(Channel ch, SslHandler ssl) throws InterruptedException {
        Future<Channel> closed = ssl.sslCloseFuture();
        assertThat(closed.await(10, TimeUnit.SECONDS)).as("the TLS connection ended").isTrue();
        assertThat(closed.cause()).as("the TLS end (a bare TCP end fails it)").isNull();
        assertThat(ch.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    }

    /** {@code Connection: close} over TLS: the whole response, then close_notify, then the end; small and large. */
    @ParameterizedTest
    @ValueSource(ints = {0, 40, 3 << 20})
    void aClosingResponseArrivesWholeThenCloseNotify(int bodyBytes) throws Exception {
        Backend b = backend("b");
        b.handler((ex, seen) -> Backend.respond(ex, 200, "x".repeat(bodyBytes)));
        start(Fixtures.config(), b);
        LinkedBlockingQueue<FullHttpResponse> responses = new LinkedBlockingQueue<>();
        Channel ch = open(4 << 20, res -> responses.add(res.retainedDuplicate()));
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a");
        req.headers().set(HttpHeaderNames.HOST, "api.example.com").set(HttpHeaderNames.CONNECTION, "close");
        ch.writeAndFlush(req);
        FullHttpResponse res = responses.poll(20, TimeUnit.SECONDS);
        assertThat(res).as("the response").isNotNull();
        try {
            assertThat(res.status().code()).isEqualTo(200);
            assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualToIgnoringCase("close");
            assertThat(res.content().readableBytes()).isEqualTo(bodyBytes);
        } finally {
            res.release();
        }
        assertClosedWithCloseNotify(ch, ssl);
    }

    @Test
    void theDrainSendsCloseNotifyBeforeItsHalfClose() throws Exception {
        start(Fixtures.config().withDrain(Duration.ofMillis(100), Duration.ofSeconds(10)));
        LinkedBlockingQueue<Integer> responses = new LinkedBlockingQueue<>();
        Channel ch = connect(responses);
        closing = CompletableFuture.runAsync(proxy::close);
        assertClosedWithCloseNotify(ch);
        closing.get(20, TimeUnit.SECONDS);
        assertThat(responses).isEmpty();
    }

    @Test
    void theIdleTimeoutSendsCloseNotify() throws Exception {
        start(Fixtures.config().withLimits(ClientLimits.DEFAULTS.withIdleTimeout(Duration.ofMillis(300))));
        LinkedBlockingQueue<Integer> responses = new LinkedBlockingQueue<>();
        Channel ch = connect(responses);
        assertClosedWithCloseNotify(ch);
        assertThat(proxy.draining()).isFalse();
    }

    @Test
    void theDrainClosesAnHttp2ConnectionWithGoAwayThenCloseNotify() throws Exception {
        start(Fixtures.config().withDrain(Duration.ofMillis(100), Duration.ofSeconds(10)));
        SslContext tls = SslContextBuilder.forClient().trustManager(ca.ca())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build();
        H2Client c = new H2Client(proxy.tlsPort(), Http2Settings.defaultSettings(), tls, "api.example.com");
        closeables.add(c);
        assertThat(c.exchange(H2Client.headers("GET", "/a", "api.example.com"), null).status()).isEqualTo(200);
        closing = CompletableFuture.runAsync(proxy::close);
        assertClosedWithCloseNotify(c.channel());
        assertThat(c.goAways).as("GOAWAY before the close").isNotEmpty();
        closing.get(20, TimeUnit.SECONDS);
    }
}
