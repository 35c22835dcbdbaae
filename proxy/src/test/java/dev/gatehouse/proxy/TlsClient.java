package dev.gatehouse.proxy;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** TLS clients for tests: the JDK's SSLSocket, and a raw ClientHello to see the exact alert the proxy answers. */
final class TlsClient {
    private TlsClient() {
    }

    private static final AtomicInteger CONNECTIONS = new AtomicInteger();

    /**
     * A handshaken socket to 127.0.0.1:{@code port} sending SNI {@code sni} (null: none). Always a
     * full handshake: the JDK's client caches sessions by peer host and port and, resuming one,
     * sends that session's SNI name again, which would hide which certificate the proxy picks;
     * so each connection gets a peer host name of its own (only the cache sees it).
     */
    static SSLSocket connect(SSLContext ctx, int port, String sni, String... protocols) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "connection-" + CONNECTIONS.incrementAndGet(), port,
                true);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        if (protocols.length > 0) {
            p.setProtocols(protocols);
        }
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** The CN of the certificate the server presented. */
    static String servedCn(SSLSocket s) throws IOException {
        X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
        return leaf.getSubjectX500Principal().getName().replaceFirst("^CN=", "");
    }

    /**
     * Sends a minimal ClientHello of {@code version} (0x0301 TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS
     * 1.2) with SNI {@code sni} (null: none) and ECDHE suites, and returns the bytes the proxy
     * answers until it closes (at most 4 KiB, 5 s).
     */
    static byte[] rawHello(int port, int version, String sni) throws IOException {
        return rawHello(port, version, sni, 5_000);
    }

    /** As {@link #rawHello(int, int, String)}, waiting up to {@code readTimeoutMillis} for each read (then a SocketTimeoutException). */
    static byte[] rawHello(int port, int version, String sni, int readTimeoutMillis) throws IOException {
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        if (sni != null) {
            byte[] name = sni.getBytes(StandardCharsets.US_ASCII);
            ext.writeBytes(new byte[]{0x00, 0x00}); // server_name
            u16(ext, name.length + 5);
            u16(ext, name.length + 3);
            ext.write(0); // host_name
            u16(ext, name.length);
            ext.writeBytes(name);
        }
        ext.writeBytes(new byte[]{0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17}); // supported_groups: secp256r1
        ext.writeBytes(new byte[]{0x00, 0x0b, 0x00, 0x02, 0x01, 0x00}); // ec_point_formats: uncompressed
        ext.writeBytes(new byte[]{0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03}); // signature_algorithms: ecdsa_secp256r1_sha256
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, version);
        body.writeBytes(new byte[32]); // random
        body.write(0); // session id
        byte[] suites = {(byte) 0xc0, 0x2b, (byte) 0xc0, 0x2f, (byte) 0xc0, 0x09, (byte) 0xc0, 0x13};
        u16(body, suites.length);
        body.writeBytes(suites);
        body.writeBytes(new byte[]{0x01, 0x00}); // compression: null
        u16(body, ext.size());
        body.writeBytes(ext.toByteArray());
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[]{0x16, 0x03, 0x01});
        u16(record, body.size() + 4);
        record.write(0x01); // client_hello
        record.write(0);
        u16(record, body.size());
        record.writeBytes(body.toByteArray());
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(readTimeoutMillis);
            s.getOutputStream().write(record.toByteArray());
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            for (int n = in.read(buf); n > 0 && got.size() < 4096; n = in.read(buf)) {
                got.write(buf, 0, n);
            }
            return got.toByteArray();
        }
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write((v >> 8) & 0xff);
        out.write(v & 0xff);
    }
}
