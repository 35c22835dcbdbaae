package dev.gatehouse.proxy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.gatehouse.config.Service;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * https services: the proxy speaks TLS to the target, trusting what the JVM trusts (here a test
 * trust store given through the standard {@code javax.net.ssl.trustStore} properties) and
 * checking the certificate against the target's host.
 */
class UpstreamTlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();
    @TempDir
    static Path dir;
    private static HttpsServer trusted;
    private static HttpsServer untrusted;
    private static ExecutorService executor;
    private static final AtomicInteger untrustedRequests = new AtomicInteger();
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        Path good = keystore("good");
        Path bad = keystore("bad");
        Path trust = dir.resolve("trust.p12");
        keytool("-exportcert", "-alias", "good", "-keystore", good.toString(), "-storepass", "changeit",
                "-file", dir.resolve("good.crt").toString());
        keytool("-importcert", "-noprompt", "-alias", "good", "-file", dir.resolve("good.crt").toString(),
                "-keystore", trust.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        executor = Executors.newCachedThreadPool();
        trusted = https(good, ex -> {
            byte[] b = ("tls " + ex.getRequestURI() + " host=" + ex.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.UTF_8);
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        untrusted = https(bad, ex -> {
            untrustedRequests.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        // the JVM's trust, read when the proxy makes its client contexts: once a snapshot has an https
        // service (UpstreamTls), so the properties stay set until the proxy is closed
        System.setProperty("javax.net.ssl.trustStore", trust.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        proxy = ProxyServer.start(Fixtures.config());
        Service tls = new Service("default/tls", Fixtures.source("GatewayService", "default/tls"), "default/tls",
                Service.Protocol.HTTPS, "/", null, 5, Service.Timeouts.DEFAULT);
        Service bogus = new Service("default/bogus", Fixtures.source("GatewayService", "default/bogus"), "default/bogus",
                Service.Protocol.HTTPS, "/", null, 5, Service.Timeouts.DEFAULT);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(tls, bogus),
                List.of(route("default/tls", "default/tls").paths("/tls").build(),
                        route("default/bogus", "default/bogus").paths("/bogus").build()),
                List.of(upstream("default/tls", trusted.getAddress().getPort()),
                        upstream("default/bogus", untrusted.getAddress().getPort())), List.of()))).isEmpty();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        System.clearProperty("javax.net.ssl.trustStore");
        System.clearProperty("javax.net.ssl.trustStorePassword");
        System.clearProperty("javax.net.ssl.trustStoreType");
        trusted.stop(0);
        untrusted.stop(0);
        executor.shutdownNow();
    }

    @Test
    void httpsServiceIsReachedOverTlsAndConnectionsAreReused() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            for (int i = 0; i < 3; i++) {
                c.write("POST /tls/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
                TestClient.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("tls /x host=127.0.0.1:" + trusted.getAddress().getPort());
            }
        }
    }

    @Test
    void untrustedCertificateIs502AndNothingIsSent() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/bogus");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.body()).contains("An invalid response was received from the upstream server");
        assertThat(untrustedRequests.get()).isZero();
    }

    private static Path keystore(String alias) throws Exception {
        Path p = dir.resolve(alias + ".p12");
        keytool("-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", alias, "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", p.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit");
        return p;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("keytool " + args[0] + ": " + out).isZero();
    }

    private static HttpsServer https(Path keystore, com.sun.net.httpserver.HttpHandler handler) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.setExecutor(executor);
        server.createContext("/", ex -> {
            try {
                handler.handle(ex);
            } catch (IOException e) {
                ex.close();
            }
        });
        server.start();
        return server;
    }
}
