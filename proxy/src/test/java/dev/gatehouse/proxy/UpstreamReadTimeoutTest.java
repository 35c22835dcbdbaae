package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read timeout of a request on a reused upstream connection: the connection keeps one read
 * check from request to request (no timer per request), so these pin that the check still ends
 * a silent target on time, also when the request before it on the connection had a longer timeout.
 */
class UpstreamReadTimeoutTest extends ProxyTestBase {

    @Test
    void secondRequestOnAReusedConnectionIs504AfterTheReadTimeout() throws Exception {
        FirstOnlyBackend b = new FirstOnlyBackend();
        closeables.add(b);
        Service s = service("default/s", "default/u", "/", 0, new Service.Timeouts(1000, 500, 1000));
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(s), List.of(route("default/r", s.id()).build()),
                List.of(upstream("default/u", b.port())), List.of()))).isEmpty();
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
            long t0 = System.nanoTime();
            c.write("GET /second HTTP/1.1\r\nHost: a\r\n\r\n");
            TestClient.Response r = c.read(false);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.body()).contains("The upstream server is timing out");
            // no sooner than the 500 ms read timeout; the upper bound only tells it from none (the client's 10 s)
            assertThat(millis).as("ms until the 504").isBetween(450L, 9_000L);
        }
        assertThat(b.connections.get()).as("both requests on one upstream connection").isEqualTo(1);
    }

    @Test
    void shorterReadTimeoutAfterALongerOneOnTheSameConnectionIsKept() throws Exception {
        FirstOnlyBackend b = new FirstOnlyBackend();
        closeables.add(b);
        Service patient = service("default/patient", "default/u", "/", 0, new Service.Timeouts(1000, 30_000, 1000));
        Service hasty = service("default/hasty", "default/u", "/", 0, new Service.Timeouts(1000, 300, 1000));
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(patient, hasty),
                List.of(route("default/long", patient.id()).paths("/long").stripPath(false).build(),
                        route("default/short", hasty.id()).paths("/short").stripPath(false).build()),
                List.of(upstream("default/u", b.port())), List.of()))).isEmpty();
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /long HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
            long t0 = System.nanoTime();
            c.write("GET /short HTTP/1.1\r\nHost: a\r\n\r\n");
            TestClient.Response r = c.read(false);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.status()).isEqualTo(504);
            assertThat(millis).as("ms until the 504 (the 30 s check of /long must not stand)").isBetween(250L, 9_000L);
        }
        assertThat(b.connections.get()).as("both requests on one upstream connection").isEqualTo(1);
    }

    /** Answers the first request of each connection (keep-alive), then reads nothing more and never answers. */
    static final class FirstOnlyBackend extends UpstreamConnectionTest.RawBackend {
        FirstOnlyBackend() throws IOException {
            super();
        }

        @Override
        void serve(Socket s) throws IOException {
            held.add(s);
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int ch = in.read();
                if (ch < 0) {
                    return;
                }
                head.append((char) ch);
            }
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
    }
}
