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
 * A long pipeline the proxy answers itself (404s) finishes in a loop: with one exchange
 * finishing inside the next one's start, a recursive hand-over would grow the event loop's
 * stack with every request of a read and overflow it.
 */
class PipelineTest extends ProxyTestBase {
    private static final int REQUESTS = 20_000;

    @Test
    void twentyThousandPipelinedRequestsAnsweredAtOnceAreAllAnsweredInOrder() throws Exception {
        Backend b = backend("b");
        proxy = ProxyServer.start(Fixtures.config().withLimits(ClientLimits.DEFAULTS.withMaxRequestsPerConnection(1_000_000)));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/served").stripPath(false).build()),
                List.of(upstream("default/u", b.port())), List.of()))).isEmpty();
        byte[] one = "GET /n HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[one.length * REQUESTS];
        for (int i = 0; i < REQUESTS; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(20_000);
            Thread writer = new Thread(() -> {
                try {
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
            assertThat(text).as("the request after them is served, last").endsWith("GET /served");
        }
    }
}
