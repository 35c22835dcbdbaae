package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * ALPN on the TLS port: a client offering {@code h2} gets HTTP/2, one offering only
 * {@code http/1.1} (or no ALPN) gets HTTP/1.1 behind the strict gate, and both reach the target
 * as HTTP/1.1 with the HTTPS forwarded headers. With HTTP/2 off ({@code --no-http2}) ALPN offers
 * {@code http/1.1} alone, so a client offering both gets HTTP/1.1.
 */
class Http2TlsTest extends TlsTestBase {
    private Backend start() throws Exception {
        return start(AccessLogDestination.OFF);
    }

    private Backend start(AccessLogDestination log) throws Exception {
        return start(log, Http2Config.DEFAULTS);
    }

    private Backend start(AccessLogDestination log, Http2Config http2) throws Exception {
        Backend b = backend("b");
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)).withHttp2(http2), new SimpleMeterRegistry(), log);
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/open", "default/s").paths("/open").stripPath(false).build()),
                List.of(upstream("default/u", b.port())), List.of(),
                List.of(leaf.certificate("default/api-tls", "api.example.com"))))).isEmpty();
        return b;
    }

    private static SslContext h2Client() throws Exception {
        return SslContextBuilder.forClient().trustManager(ca.ca())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .build();
    }

    @Test
    void alpnH2GetsHttp2AndTheTargetSeesHttps() throws Exception {
        Backend b = start();
        try (H2Client c = new H2Client(proxy.tlsPort(), Http2Settings.defaultSettings(), h2Client(), "api.example.com")) {
            for (int i = 0; i < 3; i++) {
                H2Client.Response r = c.exchange(H2Client.headers("GET", "/open/" + i, "api.example.com"), null);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("GET /open/" + i);
            }
        }
        assertThat(b.seen).hasSize(3);
        Backend.Seen seen = b.seen.get(0);
        assertThat(seen.header("x-forwarded-proto")).isEqualTo("https");
        assertThat(seen.header("x-forwarded-port")).isEqualTo(String.valueOf(proxy.tlsPort()));
        assertThat(seen.header("host")).isNotNull();
    }

    /** The access log's TLS fields come from the connection, so HTTP/2 streams over TLS carry them too. */
    @Test
    void theAccessLogRecordsTlsVersionSniAndProtocolForHttp2OverTls(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        start(AccessLogDestination.file(file));
        try (H2Client c = new H2Client(proxy.tlsPort(), Http2Settings.defaultSettings(), h2Client(), "api.example.com")) {
            assertThat(c.exchange(H2Client.headers("GET", "/open/logged", "api.example.com"), null).status()).isEqualTo(200);
        }
        proxy.close();
        proxy = null;
        JsonNode line = new ObjectMapper().readTree(Files.readAllLines(file).get(0));
        assertThat(line.get("protocol").asText()).isEqualTo("HTTP/2");
        assertThat(line.get("tls_version").asText()).isEqualTo("TLSv1.3");
        assertThat(line.get("sni").asText()).isEqualTo("api.example.com");
    }

    @Test
    void aClientWithoutH2StillGetsHttp11OverTls() throws Exception {
        Backend b = start();
        SSLSocket s = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", proxy.tlsPort());
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("api.example.com")));
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        TestClient c = new TestClient(s);
        closeables.add(c);
        assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
        c.write("GET /open/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        TestClient.Response r = c.read(false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(b.seen.get(0).header("x-forwarded-proto")).isEqualTo("https");
        // the strict gate is in front of HTTP/1.1 here too
        c.write("GET /open/y HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(400);
        assertThat(b.seen).hasSize(1);
    }

    @Test
    void withHttp2OffAlpnOffersOnlyHttp11() throws Exception {
        Backend b = start(AccessLogDestination.OFF, Http2Config.OFF);
        SSLSocket s = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", proxy.tlsPort());
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("api.example.com")));
        p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        TestClient c = new TestClient(s);
        closeables.add(c);
        assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
        c.write("GET /open/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        TestClient.Response r = c.read(false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("GET /open/x");
        assertThat(b.seen).hasSize(1);
    }

    /** The same client with HTTP/2 on gets {@code h2}: the test above is about the flag, not the client. */
    @Test
    void withHttp2OnTheSameClientGetsH2() throws Exception {
        start();
        SSLSocket s = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", proxy.tlsPort());
        closeables.add(s);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("api.example.com")));
        p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        assertThat(s.getApplicationProtocol()).isEqualTo("h2");
    }
}
