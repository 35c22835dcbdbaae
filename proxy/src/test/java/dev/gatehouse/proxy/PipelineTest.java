package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long pipeline behind a slow request: the requests that waited are answered by the proxy
 * itself (404s), each finishing inside the start of the one before it is handed over. They
 * must be handed over in a loop; a recursive hand-over grows the event loop's stack with every
 * request of a read (thousands) and overflows it.
 */
class PipelineTest extends ProxyTestBase {
    private static final int REQUESTS = 20_000;

    @Test
    void twentyThousandPipelinedRequestsAnsweredAtOnceAreAllAnsweredInOrder() throws Exception {
        Backend b = backend("b");
        b.handler((ex, seen) -> {
            try {
                Thread.sleep(500); // the pipeline queues up behind this one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, seen);
        });
        proxy = ProxyServer.start(Fixtures.config().withLimits(ClientLimits.DEFAULTS.withMaxRequestsPerConnection(1_000_000)));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/served").stripPath(false).build()),
                List.of(upstream("default/u", b.port())), List.of()))).isEmpty();
        // a large body first, so the proxy's reads have grown to their largest (64 KiB) when the
        // pipelined requests arrive: one read then queues thousands of them
        int bodySize = 4 << 20;
        byte[] head = ("POST /served/first HTTP/1.1\r\nHost: a\r\nContent-Length: " + bodySize + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] first = new byte[head.length + bodySize];
        System.arraycopy(head, 0, first, 0, head.length);
        java.util.Arrays.fill(first, head.length, first.length, (byte) 'x');
        byte[] one = "GET / HTTP/1.1\r\nHost:a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[one.length * REQUESTS];
        for (int i = 0; i < REQUESTS; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(20_000);
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(first);
                    s.getOutputStream().write(all);
                    s.getOutputStream().write("GET /served HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                } catch (Exception e) {
                    // the read side reports what was missing
                }
            });
            writer.start();
            InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
            byte[] body = in.readAllBytes();
            writer.join(5_000);
            String text = new String(body, StandardCharsets.ISO_8859_1);
            int notFound = 0;
            for (int at = text.indexOf("HTTP/1.1 404 "); at >= 0; at = text.indexOf("HTTP/1.1 404 ", at + 1)) {
                notFound++;
            }
            assertThat(notFound).isEqualTo(REQUESTS);
            assertThat(text).as("the first request is answered first").contains("POST /served/first");
            assertThat(text.indexOf("POST /served/first")).isLessThan(text.indexOf("HTTP/1.1 404 "));
            assertThat(text).as("the request after them is served, last").endsWith("GET /served");
        }
    }
}
