package dev.gatehouse.proxy;

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

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS server on loopback for tests: answers A queries for names starting with
 * {@code svc.test} with {@link #answers} (TTL 1 s), others with no record; while
 * {@link #silent}, answers nothing at all (a server that hangs).
 */
public final class TinyDns implements AutoCloseable {
    public volatile List<String> answers = List.of();
    public volatile boolean silent;
    /** Queries received, answered or not. */
    public final AtomicInteger queries = new AtomicInteger();
    /** When each query left unanswered (while {@link #silent}) arrived, in {@link System#nanoTime()}. */
    public final java.util.List<Long> unansweredAtNanos = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;

    public TinyDns() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) throws IOException {
                                        queries.incrementAndGet();
                                        answer(ctx, q);
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    private void answer(ChannelHandlerContext ctx, DatagramDnsQuery q) throws IOException {
        if (silent) {
            unansweredAtNanos.add(System.nanoTime());
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

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** {@code 127.0.0.1:port}, the value of {@code TargetResolver.DNS_SERVER_PROPERTY}. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
