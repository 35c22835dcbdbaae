package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream the proxy answers by itself while the client is still sending its body (no route
 * here): the answer, then {@code RST_STREAM NO_ERROR} (RFC 9113 §8.1). The DATA frames that
 * reached the proxy before the reset wait unread in the stream's channel; they are released and
 * the stream's channel closes, on every such stream of a long-lived connection. Before, the
 * stream's channel stayed open holding them until it was garbage: the leak check (paranoid
 * level) failed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2RefusedBodyTest {
    @Test
    void bodyOfAStreamAnsweredEarlyIsReleased() throws Exception {
        try (Backend backend = new Backend("b");
             ProxyServer proxy = ProxyServer.start(Fixtures.config())) {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").paths("/known").build()),
                    List.of(upstream("default/u", backend.port())), List.of()))).isEmpty();
            try (RawH2 client = new RawH2(proxy.port())) {
                client.handshake();
                byte[] chunk = "x".repeat(1000).getBytes(StandardCharsets.US_ASCII);
                for (int stream = 1; stream < 40; stream += 2) {
                    // the head and body in one write: the body reaches the proxy with the head it refuses
                    client.headers(stream, H2Client.headers("POST", "/unknown", "a"), false)
                            .data(stream, chunk, false).data(stream, chunk, false).send();
                    int id = stream;
                    RawH2.Frame head = client.until(f -> f.type() == RawH2.HEADERS && f.streamId() == id);
                    assertThat(head).as("the answer of stream %d", stream).isNotNull();
                    RawH2.Frame reset = client.until(f -> f.type() == RawH2.RST_STREAM && f.streamId() == id);
                    assertThat(reset).as("the reset of stream %d", stream).isNotNull();
                    assertThat(reset.errorCode()).isZero();
                }
            }
            assertThat(backend.seen).isEmpty();
        }
        LeakCheck.assertNone("Http2RefusedBodyTest");
    }
}
