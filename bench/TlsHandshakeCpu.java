import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The server side's CPU cost of TLS 1.3 with each provider, in memory (no sockets, so a machine
 * shared with other work does not skew it): the thread CPU time spent in the server engine only,
 * for full handshakes (P-256 ECDSA certificate, X25519/P-256 key exchange, as the client offers)
 * and for a keep-alive request/response pair (120-byte request in, 250-byte response out, direct
 * buffers as Netty's SslHandler uses them) on an established session. The client is OpenSSL for both, so only the server differs.
 *
 *   java -cp CLASSPATH bench/TlsHandshakeCpu.java [handshakes] [requests]
 */
public class TlsHandshakeCpu {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static long serverNanos;

    public static void main(String[] args) throws Exception {
        int handshakes = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        Instant now = Instant.now();
        var cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=bench"),
                BigInteger.ONE, Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(7))),
                new X500Name("CN=bench"), keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        byte[] chain = pem("CERTIFICATE", cert.getEncoded()).getBytes();
        byte[] key = pem("PRIVATE KEY", keys.getPrivate().getEncoded()).getBytes();
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).protocols("TLSv1.3").build();
        System.out.println("| provider | full handshakes per CPU-second | keep-alive requests per CPU-second |");
        System.out.println("|---|---|---|");
        for (SslProvider p : new SslProvider[]{SslProvider.OPENSSL, SslProvider.JDK}) {
            SslContext server = SslContextBuilder.forServer(new ByteArrayInputStream(chain), new ByteArrayInputStream(key))
                    .sslProvider(p).protocols("TLSv1.3", "TLSv1.2").build();
            handshakes(server, client, handshakes); // warm-up
            double hs = handshakes(server, client, handshakes);
            double rq = requests(server, client, requests / 5); // warm-up
            rq = requests(server, client, requests);
            System.out.printf("| %s | %,.0f | %,.0f |%n", p == SslProvider.JDK ? "jdk" : "openssl", hs, rq);
            ReferenceCountUtil.release(server);
        }
    }

    /** Full handshakes per CPU-second of the server engine. */
    private static double handshakes(SslContext server, SslContext client, int n) throws Exception {
        serverNanos = 0;
        for (int i = 0; i < n; i++) {
            SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
            SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT, "bench", 443);
            handshake(c, s);
            s.closeOutbound();
            c.closeOutbound();
            ReferenceCountUtil.release(s);
            ReferenceCountUtil.release(c);
        }
        return n / (serverNanos / 1e9);
    }

    /** Keep-alive request/response pairs per CPU-second of the server engine, on one session. */
    private static double requests(SslContext server, SslContext client, int n) throws Exception {
        SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT, "bench", 443);
        handshake(c, s);
        serverNanos = 0;
        byte[] request = new byte[120];
        byte[] response = new byte[250];
        // direct buffers, as Netty's SslHandler hands them to the OpenSSL engine (no copy across JNI)
        ByteBuffer net = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer app = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer requestBuf = ByteBuffer.allocateDirect(request.length);
        ByteBuffer responseBuf = ByteBuffer.allocateDirect(response.length);
        // what the server still has to send after the handshake (TLS 1.3 session tickets) reaches the client first
        net.clear();
        s.wrap(ByteBuffer.allocate(0), net);
        net.flip();
        feed(c, net, app);
        for (int i = 0; i < n; i++) {
            net.clear();
            c.wrap(requestBuf.clear(), net);
            net.flip();
            app.clear();
            long t = THREADS.getCurrentThreadCpuTime();
            feed(s, net, app);
            net.clear();
            s.wrap(responseBuf.clear(), net);
            serverNanos += THREADS.getCurrentThreadCpuTime() - t;
            net.flip();
            app.clear();
            feed(c, net, app);
            if (app.position() != response.length) {
                throw new IllegalStateException("the client got " + app.position() + " bytes (expected: " + response.length + ")");
            }
        }
        ReferenceCountUtil.release(s);
        ReferenceCountUtil.release(c);
        return n / (serverNanos / 1e9);
    }

    /** Unwraps every whole record in {@code net}. */
    private static void feed(SSLEngine e, ByteBuffer net, ByteBuffer app) throws Exception {
        while (net.hasRemaining()) {
            SSLEngineResult r = e.unwrap(net, app);
            run(e);
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
    }

    private static void handshake(SSLEngine c, SSLEngine s) throws Exception {
        c.beginHandshake();
        s.beginHandshake();
        ByteBuffer cToS = ByteBuffer.allocate(64 * 1024);
        ByteBuffer sToC = ByteBuffer.allocate(64 * 1024);
        ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
        ByteBuffer empty = ByteBuffer.allocate(0);
        for (int round = 0; round < 20 && !(done(c) && done(s)); round++) {
            c.wrap(empty, cToS);
            run(c);
            cToS.flip();
            long t = THREADS.getCurrentThreadCpuTime();
            while (cToS.hasRemaining()) {
                SSLEngineResult r = s.unwrap(cToS, sink);
                run(s);
                if (r.bytesConsumed() == 0) {
                    break;
                }
            }
            s.wrap(empty, sToC);
            run(s);
            serverNanos += THREADS.getCurrentThreadCpuTime() - t;
            cToS.compact();
            sToC.flip();
            while (sToC.hasRemaining()) {
                SSLEngineResult r = c.unwrap(sToC, sink);
                run(c);
                if (r.bytesConsumed() == 0) {
                    break;
                }
            }
            sToC.compact();
            sink.clear();
        }
        if (!(done(c) && done(s))) {
            throw new IllegalStateException("handshake did not finish: client " + c.getHandshakeStatus() + ", server "
                    + s.getHandshakeStatus());
        }
    }

    private static boolean done(SSLEngine e) {
        var h = e.getHandshakeStatus();
        return h == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || h == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    private static void run(SSLEngine e) {
        for (Runnable task = e.getDelegatedTask(); task != null; task = e.getDelegatedTask()) {
            task.run();
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
