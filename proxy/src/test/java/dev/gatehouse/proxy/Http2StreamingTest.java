package dev.gatehouse.proxy;

import io.netty.handler.codec.http2.Http2Settings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 bodies stream through with flow control as the backpressure, in a JVM whose heap
 * (256 MiB, surefire argLine; direct memory capped alike) is smaller than the bodies: an upload
 * through a proxy whose stream window is 16 KiB, a download to a client whose window is 16 KiB.
 * A client's reset ends only its stream's exchange: the target connection is closed, not pooled.
 */
class Http2StreamingTest {
    private static final long SIZE = 300L << 20;

    private static ProxyServer proxy(Backend backend, Http2Config http2) {
        ProxyServer proxy = ProxyServer.start(Fixtures.config().withHttp2(http2));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())),
                List.of()))).isEmpty();
        return proxy;
    }

    @Test
    void largeUploadStreamsThroughASmallStreamWindow() throws Exception {
        assertThat(Runtime.getRuntime().maxMemory()).as("test heap").isLessThan(SIZE);
        try (Backend counter = new Backend("counter", (ex, s) -> Backend.respond(ex, 200, String.valueOf(s.bodyBytes())));
             ProxyServer proxy = proxy(counter, Http2Config.DEFAULTS.withInitialWindowSize(16 * 1024));
             H2Client c = new H2Client(proxy.port())) {
            assertThat(c.settings.get(5, TimeUnit.SECONDS).initialWindowSize()).isEqualTo(16 * 1024);
            H2Client.Stream s = c.open();
            s.channel.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                    H2Client.headers("POST", "/upload", "a").add("content-length", Long.toString(SIZE)), false));
            s.upload(SIZE);
            H2Client.Response r = s.response.get(60, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo(String.valueOf(SIZE));
        }
    }

    @Test
    void largeDownloadStreamsToAClientWithASmallWindow() throws Exception {
        try (Backend source = new Backend("source", (ex, s) -> {
            ex.sendResponseHeaders(200, 0);
            byte[] block = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                for (long n = 0; n < SIZE; n += block.length) {
                    out.write(block);
                }
            }
        });
             ProxyServer proxy = proxy(source, Http2Config.DEFAULTS);
             H2Client c = new H2Client(proxy.port(), Http2Settings.defaultSettings().initialWindowSize(16 * 1024))) {
            H2Client.Response r = c.send(H2Client.headers("GET", "/big", "a"), null).get(60, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyBytes()).isEqualTo(SIZE);
        }
    }

    @Test
    void clientResetMidResponseEndsOnlyThatExchange() throws Exception {
        CountDownLatch targetCut = new CountDownLatch(1);
        try (Backend backend = new Backend("b", (ex, s) -> {
            if (!s.uri().equals("/endless")) {
                Backend.echo(ex, s);
                return;
            }
            ex.sendResponseHeaders(200, 0);
            byte[] block = new byte[16 * 1024];
            try {
                OutputStream out = ex.getResponseBody();
                for (int i = 0; i < 100_000; i++) {
                    out.write(block);
                    out.flush();
                }
            } catch (IOException e) {
                // the proxy closed the target connection
                targetCut.countDown();
                throw e;
            }
        });
             ProxyServer proxy = proxy(backend, Http2Config.DEFAULTS);
             H2Client c = new H2Client(proxy.port())) {
            H2Client.Stream endless = c.open();
            endless.channel.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                    H2Client.headers("GET", "/endless", "a"), true));
            assertThat(endless.head.get(10, TimeUnit.SECONDS).status().toString()).isEqualTo("200");
            endless.cancel();
            assertThat(targetCut.await(10, TimeUnit.SECONDS)).as("the target connection is closed").isTrue();

            H2Client.Response next = c.exchange(H2Client.headers("GET", "/next", "a"), null);
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("GET /next");
            List<Backend.Seen> seen = backend.seen;
            assertThat(seen).hasSize(2);
            assertThat(seen.get(1).remotePort()).as("a new target connection, the reset one was not pooled")
                    .isNotEqualTo(seen.get(0).remotePort());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (proxy.inFlight() != 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(proxy.inFlight()).isZero();
        }
    }
}
