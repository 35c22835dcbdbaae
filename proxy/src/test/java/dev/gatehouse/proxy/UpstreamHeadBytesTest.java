package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact request head a target receives, byte for byte, for the rewrites done on every request:
 * hop-by-hop fields and the fields {@code Connection} names removed (tokens with spaces, several
 * {@code Connection} lines, {@code keep-alive} and {@code close}), {@code Via} added or appended,
 * {@code Host} set to the target, the client's {@code X-Request-Id} kept, {@code X-Forwarded-*} set.
 */
class UpstreamHeadBytesTest extends OneProxy {
    private RawBackend backend;

    private void start() throws Exception {
        backend = rawBackend();
        proxy = ProxyServer.start(Fixtures.config());
        routeEverythingTo(backend.port());
    }

    /** The head as the target read it: the request line and every field line, each ending in CRLF. */
    private String headFor(String request) throws Exception {
        assertThat(TestClient.raw(proxy.port(), request).status()).isEqualTo(200);
        assertThat(backend.requests).hasSize(1);
        return backend.requests.get(0).head();
    }

    private String forwarded() {
        return "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: gw.example\r\n"
                + "x-forwarded-port: " + proxy.port() + "\r\n";
    }

    @Test
    void hopByHopFieldsAndTheFieldsConnectionNamesAreGoneAndViaIsAdded() throws Exception {
        start();
        String head = headFor("GET /a?b=1 HTTP/1.1\r\nHost: gw.example:8000\r\nX-Request-Id: req-1\r\n"
                + "Connection: keep-alive , X-Hop-One,X-Hop-Two\r\nConnection: close\r\nX-Hop-One: 1\r\nX-Hop-Two: 2\r\n"
                + "close: named-by-close\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\n"
                + "Accept: */*\r\n\r\n");
        assertThat(head).isEqualTo("GET /a?b=1 HTTP/1.1\r\n"
                + "Accept: */*\r\n"
                + "x-request-id: req-1\r\n"
                + forwarded()
                + "via: 1.1 gatehouse\r\n"
                + "host: 127.0.0.1:" + backend.port() + "\r\n");
    }

    @Test
    void aViaTheClientSentIsKeptAndTheProxyAppended() throws Exception {
        start();
        String head = headFor("GET / HTTP/1.1\r\nHost: gw.example\r\nX-Request-Id: req-2\r\nVia: 1.0 edge\r\nVia: 1.1 lb\r\n\r\n");
        assertThat(head).isEqualTo("GET / HTTP/1.1\r\n"
                + "x-request-id: req-2\r\n"
                + forwarded()
                + "via: 1.0 edge, 1.1 lb, 1.1 gatehouse\r\n"
                + "host: 127.0.0.1:" + backend.port() + "\r\n");
    }
}
