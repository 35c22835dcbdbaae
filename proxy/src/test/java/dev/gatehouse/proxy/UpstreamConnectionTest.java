package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Upstream keep-alive, Connection: close, HTTP/1.0 clients, 100-continue and the write timeout. */
class UpstreamConnectionTest extends ProxyTestBase {

    private void serve(Service service, int port) {
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service), List.of(route("default/r", service.id()).build()),
                List.of(upstream("default/u", port)), List.of()))).isEmpty();
    }

    @Test
    void upstreamConnectionsAreReused() throws Exception {
        Backend b = new Backend("b");
        closeables.add(b);
        serve(service("default/s", "default/u"), b.port());
        try (TestClient c = new TestClient(proxy.port())) {
            for (int i = 0; i < 20; i++) {
                c.write("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(c.read(false).status()).isEqualTo(200);
            }
        }
        Set<Integer> ports = b.seen.stream().map(Backend.Seen::remotePort).collect(Collectors.toSet());
        assertThat(ports).as("upstream connections used for 20 requests").hasSize(1);
    }

    @Test
    void responseWithConnectionCloseIsNotReused() throws Exception {
        CloseSayingBackend b = new CloseSayingBackend();
        closeables.add(b);
        serve(service("default/s", "default/u", "/", 0, new Service.Timeouts(1000, 2000, 1000)), b.port());
        try (TestClient c = new TestClient(proxy.port())) {
            for (int i = 0; i < 3; i++) {
                c.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                TestClient.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("ok");
                assertThat(r.header("connection")).isNull();
            }
        }
        assertThat(b.connections.get()).isEqualTo(3);
    }

    @Test
    void http10ClientsGetCloseOrKeepAliveAsTheyAsk() throws Exception {
        Backend b = new Backend("b");
        closeables.add(b);
        serve(service("default/s", "default/u"), b.port());
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
            c.write("GET /c HTTP/1.0\r\n\r\n");
            r = c.read(false);
            assertThat(r.body()).isEqualTo("GET /c");
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void expectContinueIsRelayed() throws Exception {
        Backend b = new Backend("b");
        closeables.add(b);
        serve(service("default/s", "default/u"), b.port());
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            TestClient.Response interim = c.read(false);
            assertThat(interim.status()).isEqualTo(100);
            c.write("hello");
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("POST /up");
        }
        assertThat(b.seen.get(0).bodyBytes()).isEqualTo(5);
    }

    @Test
    void targetThatStopsReadingTheBodyIs504AfterTheWriteTimeout() throws Exception {
        NeverReadingBackend b = new NeverReadingBackend();
        closeables.add(b);
        serve(service("default/s", "default/u", "/", 5, new Service.Timeouts(1000, 60_000, 500)), b.port());
        try (TestClient c = new TestClient(proxy.port())) {
            long size = 256L << 20;
            c.write("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
            Thread writer = new Thread(() -> {
                byte[] block = new byte[64 * 1024];
                try {
                    OutputStream out = c.output();
                    for (long n = 0; n < size; n += block.length) {
                        out.write(block);
                    }
                } catch (IOException e) {
                    // the proxy closed the connection after its 504
                }
            });
            writer.setDaemon(true);
            writer.start();
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.body()).contains("The upstream server is timing out");
            assertThat(r.header("connection")).isEqualTo("close");
        }
        assertThat(b.connections.get()).as("never retried once body bytes were sent").isEqualTo(1);
    }

    @Test
    void postAfterTheTargetDroppedAnIdleKeepAliveConnectionGoesOnAFreshOne() throws Exception {
        DroppingBackend b = new DroppingBackend();
        closeables.add(b);
        serve(service("default/s", "default/u", "/", 0, new Service.Timeouts(1000, 2000, 1000)), b.port());
        try (TestClient c = new TestClient(proxy.port())) {
            for (int i = 0; i < 5; i++) {
                c.write("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(c.read(false).status()).as("POST " + i).isEqualTo(200);
                Thread.sleep(100);
            }
        }
        assertThat(b.connections.get()).isEqualTo(5);
        assertThat(b.requests.get()).isEqualTo(5);
    }

    /** Answers one request per connection as keep-alive, then closes the connection without a word. */
    static final class DroppingBackend extends RawBackend {
        final AtomicInteger requests = new AtomicInteger();

        DroppingBackend() throws IOException {
            super();
        }

        @Override
        void serve(Socket s) throws IOException {
            try (s) {
                InputStream in = s.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int ch = in.read();
                    if (ch < 0) {
                        return;
                    }
                    head.append((char) ch);
                }
                int length = 0;
                for (String line : head.toString().split("\r\n")) {
                    if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                in.readNBytes(length);
                requests.incrementAndGet();
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Answers every request with Connection: close but leaves the socket open. */
    static final class CloseSayingBackend extends RawBackend {
        CloseSayingBackend() throws IOException {
            super();
        }

        @Override
        void serve(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int ch = in.read();
                if (ch < 0) {
                    return;
                }
                head.append((char) ch);
            }
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
            held.add(s);
        }
    }

    /** Accepts connections and never reads from them. */
    static final class NeverReadingBackend extends RawBackend {
        NeverReadingBackend() throws IOException {
            super();
        }

        @Override
        void serve(Socket s) {
            held.add(s);
        }
    }

    abstract static class RawBackend implements AutoCloseable {
        final AtomicInteger connections = new AtomicInteger();
        final List<Socket> held = new CopyOnWriteArrayList<>();
        private final ServerSocket server;
        private final Thread thread;

        RawBackend() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            server.setReceiveBufferSize(64 * 1024);
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        connections.incrementAndGet();
                        serve(s);
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "raw-backend");
            thread.setDaemon(true);
            thread.start();
        }

        abstract void serve(Socket s) throws IOException;

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket s : held) {
                s.close();
            }
            thread.join(2000);
        }
    }
}
