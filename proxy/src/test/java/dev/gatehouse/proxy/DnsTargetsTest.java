package dev.gatehouse.proxy;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.balance.TargetResolver;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DNS-based balancing against a tiny DNS server on loopback (no other DNS server is asked):
 * every A record is a target, a changed answer is picked up after the TTL, a silent server
 * leaves the last good answer in use.
 */
class DnsTargetsTest extends ProxyTestBase {

    @AfterEach
    void clearResolverProperties() {
        System.clearProperty(TargetResolver.DNS_SERVER_PROPERTY);
        System.clearProperty(TargetResolver.TTL_FLOOR_PROPERTY);
    }

    /** Answers A queries for {@code svc.test} with {@link #answers} (TTL 1 s), nothing else. */
    static final class TinyDns implements AutoCloseable {
        volatile List<String> answers = List.of();
        volatile boolean silent;
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel channel;

        TinyDns() throws InterruptedException {
            channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .handler(new ChannelInitializer<DatagramChannel>() {
                        @Override
                        protected void initChannel(DatagramChannel ch) {
                            ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                    new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) throws IOException {
                                            answer(ctx, q);
                                        }
                                    });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        private void answer(ChannelHandlerContext ctx, DatagramDnsQuery q) throws IOException {
            if (silent) {
                return;
            }
            DnsQuestion question = q.recordAt(DnsSection.QUESTION);
            DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
            r.setRecursionAvailable(true);
            r.addRecord(DnsSection.QUESTION, question);
            if (question.type() == DnsRecordType.A && question.name().startsWith("svc.test")) {
                for (String ip : answers) {
                    r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A, 1,
                            Unpooled.wrappedBuffer(InetAddress.getByName(ip).getAddress())));
                }
            }
            ctx.writeAndFlush(r);
        }

        int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private HttpServer server(String ip, int port, String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(ip, port), 16);
        s.createContext("/", ex -> {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("X-Backend", name);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        closeables.add(() -> s.stop(0));
        return s;
    }

    private Map<String, Integer> spread(int n) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            out.merge(r.header("x-backend"), 1, Integer::sum);
        }
        return out;
    }

    @Test
    void everyRecordIsATargetAndAChangedAnswerIsFollowed() throws Exception {
        HttpServer a = server("127.0.0.1", 0, "a");
        int port = a.getAddress().getPort();
        server("127.0.0.2", port, "b");
        TinyDns dns = new TinyDns();
        closeables.add(0, dns);
        dns.answers = List.of("127.0.0.1", "127.0.0.2");
        System.setProperty(TargetResolver.DNS_SERVER_PROPERTY, "127.0.0.1:" + dns.port());
        System.setProperty(TargetResolver.TTL_FLOOR_PROPERTY, "1s");

        proxy = ProxyServer.start(Fixtures.config());
        Upstream u = new Upstream("default/u", Fixtures.source("Upstream", "default/u"), Upstream.Algorithm.ROUND_ROBIN,
                null, null, List.of(new Upstream.Target("svc.test", port, 100)), null, 0);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(u), List.of()))).isEmpty();
        assertThat(spread(20)).containsEntry("a", 10).containsEntry("b", 10);

        dns.answers = List.of("127.0.0.2");
        long start = System.nanoTime();
        int inARow = 0;
        while (inARow < 10) {
            assertThat(System.nanoTime() - start).as("the new answer is followed in time").isLessThan(TimeUnit.SECONDS.toNanos(5));
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            inARow = "b".equals(r.header("x-backend")) ? inARow + 1 : 0;
        }
        System.out.printf("dns: a changed answer was followed after %d ms (TTL 1 s)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        assertThat(proxy.balancers().upstreams().get("default/u").find("svc.test:" + port + "@127.0.0.2")).isNotNull();
        assertThat(proxy.balancers().upstreams().get("default/u").find("svc.test:" + port + "@127.0.0.1")).isNull();

        dns.silent = true;
        Thread.sleep(2_500);
        assertThat(spread(10)).containsExactly(Map.entry("b", 10));
    }
}
