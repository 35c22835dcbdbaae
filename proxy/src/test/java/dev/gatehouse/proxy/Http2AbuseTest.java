package dev.gatehouse.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP/2 defences with frames written by hand: a rapid-reset flood (CVE-2023-44487) closes
 * the abuser's connection with GOAWAY while another client keeps being served; a header block
 * of CONTINUATION frames that never ends closes the connection before it grows past the limit;
 * a stream beyond the concurrent-stream limit is refused. Each is counted by reason.
 */
class Http2AbuseTest {
    private static double refused(SimpleMeterRegistry registry, String reason) {
        var c = registry.find("gatehouse.client.refused").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static ProxyServer proxy(Backend backend, Http2Config http2, SimpleMeterRegistry registry) {
        ProxyServer proxy = ProxyServer.start(Fixtures.config().withHttp2(http2), registry);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())),
                List.of()))).isEmpty();
        return proxy;
    }

    @Test
    void rapidResetFloodClosesOnlyTheAbusersConnection() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, Http2Config.DEFAULTS, registry);
             H2Client good = new H2Client(proxy.port());
             RawH2 abuser = new RawH2(proxy.port())) {
            assertThat(good.exchange(H2Client.headers("GET", "/before", "a"), null).status()).isEqualTo(200);
            abuser.handshake();
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        assertThat(good.exchange(H2Client.headers("GET", "/during/" + i, "a"), null).status()).isEqualTo(200);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            // HEADERS then RST_STREAM, stream after stream: each starts work the client cancels at once
            int stream = 1;
            try {
                for (int batch = 0; batch < 20; batch++) {
                    for (int i = 0; i < 50; i++, stream += 2) {
                        abuser.headers(stream, H2Client.headers("GET", "/flood", "a"), true).rst(stream, Http2Error.CANCEL);
                    }
                    abuser.send();
                }
            } catch (IOException e) {
                // the proxy closed the connection mid-flood
            }
            RawH2.Frame goAway = abuser.until(f -> f.type() == RawH2.GOAWAY);
            assertThat(goAway).as("GOAWAY before the close").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
            assertThat(abuser.until(f -> false)).as("the abuser's connection is closed").isNull();
            served.get(30, TimeUnit.SECONDS);
            assertThat(good.exchange(H2Client.headers("GET", "/after", "a"), null).status()).isEqualTo(200);
            assertThat(good.goAways).isEmpty();
            assertThat(refused(registry, "http2_rapid_reset")).isEqualTo(1);
        }
    }

    @Test
    void continuationFloodWithoutEndHeadersIsClosed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, Http2Config.DEFAULTS, registry);
             RawH2 abuser = new RawH2(proxy.port())) {
            abuser.handshake();
            byte[] fragment = new byte[16 * 1024];
            abuser.frame(RawH2.HEADERS, 1, 0x1 /* END_STREAM, no END_HEADERS */, new byte[1024]);
            try {
                for (int i = 0; i < 64; i++) {
                    abuser.frame(RawH2.CONTINUATION, 1, 0, fragment).send();
                }
            } catch (IOException e) {
                // closed mid-flood
            }
            RawH2.Frame goAway = abuser.until(f -> f.type() == RawH2.GOAWAY);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            assertThat(abuser.until(f -> false)).isNull();
            assertThat(refused(registry, "http2_header_flood")).isEqualTo(1);
            assertThat(backend.seen).isEmpty();
        }
    }

    @Test
    void emptyContinuationFloodIsClosed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, Http2Config.DEFAULTS, registry);
             RawH2 abuser = new RawH2(proxy.port())) {
            abuser.handshake();
            abuser.frame(RawH2.HEADERS, 1, 0x1 /* END_STREAM, no END_HEADERS */, new byte[16]);
            try {
                for (int i = 0; i < 1000; i++) {
                    abuser.frame(RawH2.CONTINUATION, 1, 0, new byte[0]);
                }
                abuser.send();
            } catch (IOException e) {
                // closed mid-flood
            }
            RawH2.Frame goAway = abuser.until(f -> f.type() == RawH2.GOAWAY);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
            assertThat(abuser.until(f -> false)).isNull();
            assertThat(refused(registry, "http2_header_flood")).isEqualTo(1);
        }
    }

    @Test
    void streamsBeyondTheLimitAreRefused() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, Http2Config.DEFAULTS.withMaxConcurrentStreams(5), registry);
             RawH2 client = new RawH2(proxy.port())) {
            client.handshake();
            // five uploads whose bodies never come keep five streams open; the sixth is one too many
            for (int stream = 1; stream <= 11; stream += 2) {
                client.headers(stream, H2Client.headers("POST", "/held", "a"), false);
            }
            client.send();
            RawH2.Frame reset = client.until(f -> f.type() == RawH2.RST_STREAM);
            assertThat(reset).isNotNull();
            assertThat(reset.streamId()).isEqualTo(11);
            assertThat(reset.errorCode()).isEqualTo(Http2Error.REFUSED_STREAM.code());
            assertThat(refused(registry, "http2_refused_stream")).isEqualTo(1);
        }
    }

    @Test
    void withHttp2OffThePrefaceIsAnsweredAsAnUnknownVersion() throws Exception {
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, Http2Config.OFF, new SimpleMeterRegistry());
             Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 505 ").contains("HTTP/2 with prior knowledge");
        }
    }
}
