package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bodies stream with backpressure: 1 GiB goes through a proxy whose JVM has a 256 MiB heap
 * (surefire argLine; direct memory is capped by the same limit), generated on the fly and
 * counted by the backend, never held anywhere.
 */
class LargeBodyTest {
    private static final long ONE_GIB = 1L << 30;

    @Test
    void oneGibUploadStreamsThroughInBoundedMemory() throws Exception {
        assertThat(Runtime.getRuntime().maxMemory()).as("test heap").isLessThanOrEqualTo(300L << 20);
        try (Backend counter = new Backend("counter", (ex, s) -> Backend.respond(ex, 200, String.valueOf(s.bodyBytes())));
             ProxyServer proxy = ProxyServer.start(Fixtures.config())) {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", counter.port())),
                    List.of()))).isEmpty();
            try (TestClient c = new TestClient(proxy.port())) {
                c.write("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + ONE_GIB + "\r\n\r\n");
                OutputStream out = c.output();
                byte[] block = new byte[64 * 1024];
                for (int i = 0; i < block.length; i++) {
                    block[i] = (byte) i;
                }
                for (long sent = 0; sent < ONE_GIB; sent += block.length) {
                    out.write(block);
                }
                out.flush();
                TestClient.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(String.valueOf(ONE_GIB));
            }
        }
    }

    @Test
    void largeDownloadStreamsBackWithBackpressure() throws Exception {
        long size = 256L << 20;
        try (Backend source = new Backend("source", (ex, s) -> {
            ex.sendResponseHeaders(200, 0);
            byte[] block = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                for (long n = 0; n < size; n += block.length) {
                    out.write(block);
                }
            }
        });
             ProxyServer proxy = ProxyServer.start(Fixtures.config())) {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", source.port())),
                    List.of()))).isEmpty();
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
                socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".getBytes());
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                    total += r;
                    if (total < 4 << 20) {
                        Thread.onSpinWait();
                    }
                }
                assertThat(total).as("bytes received incl. head and chunk framing").isGreaterThan(size);
            }
        }
    }
}
