import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.netty.util.ReferenceCountUtil;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * What Netty's {@code SslHandler} costs the server per keep-alive request, in memory (no sockets:
 * a machine busy with other work skews it little), for {@code bench/tls-provider.sh --records}: a server
 * {@code SslHandler} (OpenSSL, TLS 1.3, in an {@code EmbeddedChannel}, as on the TLS port) reads
 * one request record and answers with a response head and body, written as the proxy's encoder
 * hands them down (the head's buffer, then the body as a slice of the buffer the target's response
 * was read into: {@code SslHandler} copies both into a buffer of its own to make one record) or as
 * one buffer (the head's, made with room for the body: the most an encoder could save), with the
 * adaptive allocator (Netty 4.2's default) or the pooled one. Per request: the server thread's bytes allocated (a count) and CPU time (a
 * time: compare variants within one run), records and bytes sent. A client OpenSSL engine makes
 * the requests and reads the responses outside the measured part. Variants run interleaved.
 *
 *   java -cp CLASSPATH bench/TlsRecordCpu.java [requests] [rounds]
 */
public class TlsRecordCpu {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nserver: nginx/1.22.1\r\ndate: Wed, 02 Dec 2026 10:00:00 GMT\r\n"
            + "content-type: text/plain\r\ncontent-length: 21\r\nx-request-id: 0123456789abcdef0123456789abcdef\r\n"
            + "via: 1.1 gatehouse\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY = "Hello from my service".getBytes(StandardCharsets.US_ASCII);
    private static final int RESPONSE = HEAD.length + BODY.length;
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: bench.local\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * {@code oneBuffer}: the head's buffer made with room for the body and the body copied in (the
     * most an encoder could do), else the head's buffer and the body as a slice of the read buffer
     * it came in (what the proxy's encoder hands down).
     */
    record Variant(String name, ByteBufAllocator alloc, boolean oneBuffer) {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        // an ECDSA P-256 certificate, as the TLS benches serve (the certificate is not what is measured)
        SelfSignedCertificate cert = new SelfSignedCertificate("bench", "EC", 256);
        SslContext server = SslContextBuilder.forServer(cert.key(), cert.cert())
                .sslProvider(SslProvider.OPENSSL_REFCNT).protocols("TLSv1.3", "TLSv1.2").build();
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).protocols("TLSv1.3").build();
        ByteBufAllocator adaptive = new AdaptiveByteBufAllocator();
        ByteBufAllocator pooled = PooledByteBufAllocator.DEFAULT;
        Variant[] variants = {
                new Variant("adaptive allocator, head and body apart", adaptive, false),
                new Variant("adaptive allocator, one buffer", adaptive, true),
                new Variant("pooled allocator, head and body apart", pooled, false),
                new Variant("pooled allocator, one buffer", pooled, true),
        };
        for (Variant v : variants) {
            run(server, client, v, requests / 4); // warm-up
        }
        double[][] cpu = new double[variants.length][rounds];
        double[] bytes = new double[variants.length];
        double[] records = new double[variants.length];
        double[] wire = new double[variants.length];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < variants.length; i++) {
                double[] m = run(server, client, variants[i], requests);
                cpu[i][r] = m[0];
                bytes[i] = m[1];
                records[i] = m[2];
                wire[i] = m[3];
            }
        }
        System.out.println("| server, per request | CPU ns (median of " + rounds + " rounds, min-max) | bytes allocated | TLS records out | bytes out |");
        System.out.println("|---|---|---|---|---|");
        for (int i = 0; i < variants.length; i++) {
            double[] c = cpu[i].clone();
            java.util.Arrays.sort(c);
            System.out.printf("| %s | %.0f (%.0f-%.0f) | %.0f | %.2f | %.0f |%n", variants[i].name(), c[c.length / 2], c[0],
                    c[c.length - 1], bytes[i], records[i], wire[i]);
        }
        ReferenceCountUtil.release(server);
    }

    /** @return CPU ns, bytes allocated, records out and bytes out per request, on the server's side */
    private static double[] run(SslContext server, SslContext client, Variant v, int n) throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(v.alloc());
        SslHandler ssl = server.newHandler(v.alloc());
        ch.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                // a target's small response as it was read: the body at the end of the read buffer
                ByteBuf read = ctx.alloc().directBuffer(256).writeZero(200).writeBytes(BODY);
                if (v.oneBuffer()) {
                    ctx.write(ctx.alloc().directBuffer(RESPONSE).writeBytes(HEAD).writeBytes(read, 200, BODY.length));
                } else {
                    ctx.write(ctx.alloc().directBuffer(HEAD.length).writeBytes(HEAD));
                    ctx.write(read.retainedSlice(200, BODY.length));
                }
                read.release();
                ctx.flush();
            }
        });
        SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT, "bench", 443);
        ByteBuffer net = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer app = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer empty = ByteBuffer.allocate(0);
        c.beginHandshake();
        for (int i = 0; i < 20 && c.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING; i++) {
            net.clear();
            c.wrap(empty, net);
            net.flip();
            if (net.hasRemaining()) {
                ch.writeInbound(Unpooled.wrappedBuffer(copy(net)));
            }
            toClient(ch, c, net, app);
        }
        ByteBuffer request = ByteBuffer.allocateDirect(REQUEST.length).put(REQUEST);
        long cpu = 0;
        long allocated = 0;
        long records = 0;
        long out = 0;
        for (int i = 0; i < n; i++) {
            net.clear();
            c.wrap(request.flip(), net);
            net.flip();
            ByteBuf in = v.alloc().directBuffer(net.remaining()).writeBytes(net);
            long a = THREADS.getCurrentThreadAllocatedBytes();
            long t = THREADS.getCurrentThreadCpuTime();
            ch.writeInbound(in);
            ByteBuf o;
            net.clear();
            while ((o = ch.readOutbound()) != null) {
                out += o.readableBytes();
                net.put(o.nioBuffer());
                o.release();
            }
            cpu += THREADS.getCurrentThreadCpuTime() - t;
            allocated += THREADS.getCurrentThreadAllocatedBytes() - a;
            net.flip();
            for (int p = net.position(); p + 5 <= net.limit(); p += 5 + (net.getShort(p + 3) & 0xffff)) {
                records++;
            }
            app.clear();
            feed(c, net, app);
            if (app.position() != RESPONSE) {
                throw new IllegalStateException("the client read " + app.position() + " bytes");
            }
        }
        ch.finishAndReleaseAll();
        ReferenceCountUtil.release(c);
        return new double[]{(double) cpu / n, (double) allocated / n, (double) records / n, (double) out / n};
    }

    private static void toClient(EmbeddedChannel ch, SSLEngine c, ByteBuffer net, ByteBuffer app) throws Exception {
        ByteBuf o;
        while ((o = ch.readOutbound()) != null) {
            net.clear();
            net.put(o.nioBuffer());
            o.release();
            net.flip();
            app.clear();
            feed(c, net, app);
        }
    }

    private static byte[] copy(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    /** Unwraps every whole record in {@code net}, running the engine's tasks. */
    private static void feed(SSLEngine e, ByteBuffer net, ByteBuffer app) throws Exception {
        while (net.hasRemaining()) {
            SSLEngineResult r = e.unwrap(net, app);
            Runnable task;
            while ((task = e.getDelegatedTask()) != null) {
                task.run();
            }
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
    }
}
