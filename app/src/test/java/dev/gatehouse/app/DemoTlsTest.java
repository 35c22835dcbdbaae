package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code gatehouse demo} serves TLS as {@code local} does: {@code --tls-port} opens once the
 * directory holds a certificate, the route's host is served with its Secret's certificate, and
 * {@code --default-certificate-secret} serves clients without SNI (refused without it); a
 * malformed value is a usage error naming the flag.
 */
class DemoTlsTest {
    private static final String SECURE_ROUTE = """
            ---
            apiVersion: gatehouse.dev/v1alpha1
            kind: GatewayRoute
            metadata: {name: secure}
            spec: {serviceRef: {name: moesif-service}, hosts: [secure.example.com], tls: {secretName: secure-tls}}
            """;

    /** The seed on the given replica ports, plus a TLS route with the example Secret of manifests/examples/tls.yaml. */
    static void writeDir(Path dir, int one, int two) throws IOException {
        Files.writeString(dir.resolve("seed.yaml"), Files.readString(Path.of("../examples/seed/seed.yaml"))
                .replace("localhost:9001", "127.0.0.1:" + one).replace("localhost:9002", "127.0.0.1:" + two));
        String secret = Arrays.stream(Files.readString(Path.of("../manifests/examples/tls.yaml")).split("(?m)^---$"))
                .filter(doc -> doc.contains("kind: Secret")).findFirst().orElseThrow();
        Files.writeString(dir.resolve("tls.yaml"), secret.strip() + "\n" + SECURE_ROUTE);
    }

    private static void runDemo(Path dir, String fallback, Checks checks) throws Exception {
        int one = StartupTest.reserveFreePort();
        int two = StartupTest.reserveFreePort();
        writeDir(dir, one, two);
        int tlsPort = StartupTest.reserveFreePort();
        List<String> args = new java.util.ArrayList<>(List.of("demo", "--dir", dir.toString(), "--backend-ports", one + "," + two,
                "--address", "127.0.0.1", "--port", String.valueOf(StartupTest.reserveFreePort()), "--tls-port",
                String.valueOf(tlsPort), "--status-port", "0", "--access-log", "off", "--drain-delay", "0s"));
        if (fallback != null) {
            args.addAll(List.of("--default-certificate-secret", fallback));
        }
        // the demo's printout ends with the TLS line, once both ports are open
        try (StartupTest.Running demo = StartupTest.Running.start("TLS on https://localhost:" + tlsPort + "/",
                args.toArray(String[]::new))) {
            demo.awaitBanner();
            checks.run(tlsPort);
        }
    }

    private interface Checks {
        void run(int tlsPort) throws Exception;
    }

    @Test
    void theTlsRouteIsServedOnTheTlsPortAndTheDefaultCertificateServesClientsWithoutSni(@TempDir Path dir) throws Exception {
        runDemo(dir, "default/secure-tls", tlsPort -> {
            try (SSLSocket s = connect(tlsPort, "secure.example.com")) {
                assertThat(dnsNames(s)).contains("secure.example.com");
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: secure.example.com\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(reply).startsWith("HTTP/1.1 200 ").containsIgnoringCase("X-Served-By: replica-")
                        .endsWith("Hello from my service");
            }
            try (SSLSocket s = connect(tlsPort, null)) {
                assertThat(dnsNames(s)).as("the default certificate, for a client without SNI").contains("secure.example.com");
            }
        });
    }

    @Test
    void withoutTheDefaultCertificateAClientWithoutSniIsRefused(@TempDir Path dir) throws Exception {
        runDemo(dir, null, tlsPort -> {
            try (SSLSocket s = connect(tlsPort, "secure.example.com")) {
                assertThat(dnsNames(s)).contains("secure.example.com");
            }
            assertThatThrownBy(() -> connect(tlsPort, null).close()).isInstanceOf(SSLHandshakeException.class);
        });
    }

    @Test
    void aMalformedDefaultCertificateIsAUsageErrorNamingTheFlag() {
        LocalCheckTest.Run r = LocalCheckTest.run("demo", "--default-certificate-secret", "secure-tls");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--default-certificate-secret: \"secure-tls\" (expected: NAMESPACE/NAME");
    }

    /** A handshaken socket; the example certificate is from a throwaway CA, so any is trusted and the test reads its names. */
    private static SSLSocket connect(int port, String sni) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
        try {
            s.startHandshake();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static List<String> dnsNames(SSLSocket s) throws Exception {
        X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
        return leaf.getSubjectAlternativeNames().stream().filter(n -> Integer.valueOf(2).equals(n.get(0)))
                .map(n -> (String) n.get(1)).toList();
    }
}
