package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import io.grpc.InsecureServerCredentials;
import io.grpc.TlsServerCredentials;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * grpc and grpcs services in front of a real grpc-java server, called through the proxy by an
 * HTTP/1.1 client that sends {@code TE: trailers} (so the call's {@code grpc-status} comes back
 * as a chunked trailer): unary, server streaming, a 10 MiB client stream, a server error relayed
 * as the server wrote it, and the proxy's own answers as gRPC statuses.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcUpstreamTest {
    @TempDir
    static Path dir;
    private static GrpcTestService plain;
    private static GrpcTestService secure;
    private static ProxyServer proxy;
    /** A TLS server that speaks HTTP/1.1 only (no ALPN), with the same trusted certificate. */
    private static com.sun.net.httpserver.HttpsServer http1Only;
    private static final java.util.concurrent.atomic.AtomicInteger http1OnlyRequests = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        plain = new GrpcTestService(InsecureServerCredentials.create());
        Path keystore = TestKeystores.selfSigned(dir, "grpc");
        Path trust = TestKeystores.trustStore(dir, keystore, "grpc");
        secure = new GrpcTestService(TlsServerCredentials.newBuilder().keyManager(keyManagers(keystore)).build());
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(keyManagers(keystore), null, null);
        http1Only = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 10);
        http1Only.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(ssl));
        http1Only.createContext("/", ex -> {
            http1OnlyRequests.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        http1Only.start();
        // the JVM's trust, read when the proxy makes its client contexts: once a snapshot has a grpcs
        // service (UpstreamTls), so the properties stay set until the proxy is closed
        System.setProperty("javax.net.ssl.trustStore", trust.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", TestKeystores.PASSWORD);
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        proxy = ProxyServer.start(Fixtures.config());
        int dead1 = TestKeystores.freePort();
        int dead2 = TestKeystores.freePort();
        assertThat(proxy.apply(Fixtures.snapshot(1,
                List.of(service("default/grpc", Service.Protocol.GRPC), service("default/grpcs", Service.Protocol.GRPCS),
                        service("default/down", Service.Protocol.GRPC), service("default/http1tls", Service.Protocol.GRPCS)),
                List.of(route("default/echo", "default/grpc").paths("/test.Echo/").stripPath(false).build(),
                        route("default/secure", "default/grpcs").paths("/secure/").build(),
                        route("default/keyed", "default/grpc").paths("/keyed/")
                                .keyAuth(new Route.KeyAuth(List.of(), true, false, false, null)).build(),
                        route("default/down", "default/down").paths("/down/").build(),
                        route("default/http1tls", "default/http1tls").paths("/http1tls/").build()),
                List.of(upstream("default/grpc", plain.port()), upstream("default/grpcs", secure.port()),
                        upstream("default/down", dead1, dead2), upstream("default/http1tls", http1Only.getAddress().getPort())),
                List.of()))).isEmpty();
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        System.clearProperty("javax.net.ssl.trustStore");
        System.clearProperty("javax.net.ssl.trustStorePassword");
        System.clearProperty("javax.net.ssl.trustStoreType");
        plain.close();
        secure.close();
        http1Only.stop(0);
    }

    private static Service service(String id, Service.Protocol protocol) {
        return new Service(id, Fixtures.source("GatewayService", id), id, protocol, "/", null, 5,
                new Service.Timeouts(2_000, 20_000, 20_000));
    }

    /** A gRPC call over HTTP/1.1: POST with the gRPC content type and TE: trailers, the body as given. */
    private static Http1Client.Reply call(String path, byte[] body, String... headers) throws Exception {
        try (Http1Client c = new Http1Client(proxy.port())) {
            StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: grpc.example\r\n"
                    + "Content-Type: application/grpc\r\nTE: trailers\r\nContent-Length: " + body.length + "\r\n");
            for (int i = 0; i < headers.length; i += 2) {
                head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            c.write(head.append("\r\n").toString());
            c.write(body);
            return c.read();
        }
    }

    @Test
    void unaryCall() throws Exception {
        Http1Client.Reply r = call("/test.Echo/Unary", GrpcTestService.frame("hello"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/grpc");
        assertThat(GrpcTestService.messages(r.body())).containsExactly("echo hello");
        assertThat(r.trailers()).containsEntry("grpc-status", "0");
    }

    @Test
    void serverStreamingCallRelaysEveryMessage() throws Exception {
        Http1Client.Reply r = call("/test.Echo/Stream", GrpcTestService.frame("m"));
        assertThat(r.status()).isEqualTo(200);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < GrpcTestService.STREAMED; i++) {
            expected.add("m " + i);
        }
        assertThat(GrpcTestService.messages(r.body())).containsExactlyElementsOf(expected);
        assertThat(r.trailers()).containsEntry("grpc-status", "0");
    }

    /** 160 messages of 64 KiB, chunked, streamed through the proxy's flow control to the server. */
    @Test
    void clientStreamingCallOf10MiB() throws Exception {
        byte[] message = GrpcTestService.frame("x".repeat(64 * 1024));
        try (Http1Client c = new Http1Client(proxy.port())) {
            c.write("POST /test.Echo/Upload HTTP/1.1\r\nHost: grpc.example\r\nContent-Type: application/grpc\r\n"
                    + "TE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 160; i++) {
                c.chunk(message);
            }
            c.write("0\r\n\r\n");
            Http1Client.Reply r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(GrpcTestService.messages(r.body())).containsExactly((10 * 1024 * 1024) + " bytes in 160 messages");
            assertThat(r.trailers()).containsEntry("grpc-status", "0");
        }
    }

    /**
     * The server's own error, a trailers-only answer: its status and percent-encoded message come
     * byte for byte, as trailers (a head that does not end the response must not carry them).
     */
    @Test
    void serverErrorStatusIsRelayedExactly() throws Exception {
        Http1Client.Reply r = call("/test.Echo/Missing", GrpcTestService.frame("café 100%"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/grpc");
        assertThat(r.headers()).doesNotContainKeys("grpc-status", "grpc-message");
        assertThat(r.trailers()).containsEntry("grpc-status", "5")
                .containsEntry("grpc-message", "no such thing: caf%C3%A9 100%25");
        assertThat(r.body()).isEmpty();
    }

    @Test
    void grpcsServiceIsReachedOverTlsWithAlpnH2() throws Exception {
        Http1Client.Reply r = call("/secure/test.Echo/Unary", GrpcTestService.frame("over tls"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(GrpcTestService.messages(r.body())).containsExactly("echo over tls");
        assertThat(r.trailers()).containsEntry("grpc-status", "0");
    }

    @Test
    void noRouteIsUnimplemented() throws Exception {
        assertGatewayStatus(call("/nothing.Here/Call", GrpcTestService.frame("x")), "12", "no Route matched with those values");
    }

    @Test
    void missingKeyIsUnauthenticated() throws Exception {
        int before = plain.calls.get();
        assertGatewayStatus(call("/keyed/test.Echo/Unary", GrpcTestService.frame("x")), "16", "No API key found in request");
        assertThat(plain.calls.get()).isEqualTo(before);
    }

    @Test
    void allTargetsDownIsUnavailable() throws Exception {
        assertGatewayStatus(call("/down/test.Echo/Unary", GrpcTestService.frame("x")), "14",
                "An invalid response was received from the upstream server");
    }

    /** A grpcs target that does not choose h2 by ALPN is never sent the call: the attempt fails as not sent. */
    @Test
    void grpcsTargetWithoutAlpnH2IsUnavailable() throws Exception {
        assertGatewayStatus(call("/http1tls/test.Echo/Unary", GrpcTestService.frame("x")), "14",
                "An invalid response was received from the upstream server");
        assertThat(http1OnlyRequests.get()).isZero();
    }

    /** A request without the gRPC content type still gets the JSON answer. */
    @Test
    void nonGrpcRequestKeepsTheJsonAnswer() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/nothing.Here/Call");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.header("grpc-status")).isNull();
        assertThat(r.body()).contains("no Route matched with those values");
    }

    private static void assertGatewayStatus(Http1Client.Reply r, String grpcStatus, String message) {
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/grpc");
        assertThat(r.header("grpc-status")).isEqualTo(grpcStatus);
        assertThat(r.header("grpc-message")).isEqualTo(message.replace("%", "%25"));
        assertThat(r.header("x-request-id")).isNotBlank();
        assertThat(r.body()).isEmpty();
    }

    private static javax.net.ssl.KeyManager[] keyManagers(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, TestKeystores.PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, TestKeystores.PASSWORD.toCharArray());
        return kmf.getKeyManagers();
    }
}
