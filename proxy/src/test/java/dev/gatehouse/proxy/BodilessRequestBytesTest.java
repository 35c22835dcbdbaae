package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bodiless request goes to an HTTP/1.1 target as its head and its end in one message; these pin
 * the exact bytes the target reads when bodiless requests (no Content-Length, Content-Length: 0)
 * and requests with a body follow one another on one upstream connection: nothing after a
 * bodiless head, and the next request framed as before.
 */
class BodilessRequestBytesTest extends OneProxy {
    @Test
    void bodilessAndBodiedRequestsOnOneUpstreamConnectionAreFramedByteForByte() throws Exception {
        RawBackend backend = rawBackend();
        proxy = ProxyServer.start(Fixtures.config());
        routeEverythingTo(backend.port());
        String fields = "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: gw\r\n"
                + "x-forwarded-port: " + proxy.port() + "\r\nvia: 1.1 gatehouse\r\nhost: 127.0.0.1:" + backend.port() + "\r\n";
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /one HTTP/1.1\r\nHost: gw\r\nX-Request-Id: r1\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /one");
            c.write("POST /two HTTP/1.1\r\nHost: gw\r\nX-Request-Id: r2\r\nContent-Length: 0\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("POST /two");
            c.write("POST /three HTTP/1.1\r\nHost: gw\r\nX-Request-Id: r3\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(c.read(false).body()).isEqualTo("POST /three");
            c.write("DELETE /four HTTP/1.1\r\nHost: gw\r\nX-Request-Id: r4\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("DELETE /four");
        }
        assertThat(backend.connections()).as("every request on one upstream connection").isEqualTo(1);
        assertThat(backend.wire(0)).isEqualTo(
                "GET /one HTTP/1.1\r\nx-request-id: r1\r\n" + fields + "\r\n"
                + "POST /two HTTP/1.1\r\nx-request-id: r2\r\ncontent-length: 0\r\n" + fields + "\r\n"
                + "POST /three HTTP/1.1\r\nx-request-id: r3\r\ncontent-length: 5\r\n" + fields + "\r\nhello"
                + "DELETE /four HTTP/1.1\r\nx-request-id: r4\r\n" + fields + "\r\n");
        assertThat(backend.leftover()).isEmpty();
    }
}
