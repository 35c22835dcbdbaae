package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How an HTTPS keep-alive response leaves the proxy, in TLS records on the client's socket (read
 * one record at a time by a raw client, before it decrypts them): a small response whose head and
 * body the target sends in one write is one record, head and body together, as nginx sends it;
 * two records would cost the proxy a second encryption and the client a second read. A body that
 * comes later is relayed when it comes, in a record of its own (the head is not held for it).
 */
class TlsRecordsTest extends TlsTestBase {
    /**
     * A target that answers every request on its connections with one write of head and body, or,
     * with a {@code bodyGate}, writes the head and the body only once the gate opens.
     */
    private static final class OneWriteTarget implements AutoCloseable {
        final ServerSocket server = new ServerSocket();
        final Thread thread;

        OneWriteTarget(String body, CountDownLatch bodyGate) throws IOException {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        new Thread(() -> serve(s, head, body.getBytes(StandardCharsets.US_ASCII), bodyGate),
                                "one-write-target-connection").start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "one-write-target");
            thread.start();
        }

        private static void serve(Socket s, byte[] head, byte[] body, CountDownLatch bodyGate) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int matched = 0;
                for (int b; (b = in.read()) >= 0; ) {
                    matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
                    if (matched == 4) { // a request without a body read whole
                        if (bodyGate == null) {
                            byte[] response = Arrays.copyOf(head, head.length + body.length);
                            System.arraycopy(body, 0, response, head.length, body.length);
                            out.write(response);
                        } else {
                            out.write(head);
                            out.flush();
                            if (!bodyGate.await(10, TimeUnit.SECONDS)) {
                                return;
                            }
                            out.write(body);
                        }
                        out.flush();
                        matched = 0;
                    }
                }
            } catch (IOException | InterruptedException gone) {
                // the proxy closed its connection, or the test ended
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(10_000);
        }
    }

    /** A TLS client over a plain socket that reads what the proxy sends record by record. */
    private static final class RecordClient implements AutoCloseable {
        final Socket socket = new Socket();
        final SSLEngine engine;
        final DataInputStream in;
        final ByteBuffer app = ByteBuffer.allocate(64 * 1024);

        RecordClient(int port) throws Exception {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
            engine = ca.clientContext().createSSLEngine("api.example.com", port);
            engine.setUseClientMode(true);
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("api.example.com")));
            engine.setSSLParameters(p);
            engine.beginHandshake();
            for (int i = 0; i < 50; i++) {
                switch (engine.getHandshakeStatus()) {
                    case NEED_WRAP -> send(ByteBuffer.allocate(0));
                    case NEED_UNWRAP -> unwrap(readRecord());
                    case NEED_TASK -> engine.getDelegatedTask().run();
                    default -> {
                        return;
                    }
                }
            }
            throw new IllegalStateException("no handshake after 50 steps");
        }

        void send(ByteBuffer plain) throws IOException {
            ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(plain, net);
            socket.getOutputStream().write(net.array(), 0, net.position());
        }

        /** One whole TLS record as it came off the socket, header included. */
        ByteBuffer readRecord() throws IOException {
            byte[] header = new byte[5];
            in.readFully(header);
            byte[] record = new byte[5 + ((header[3] & 0xff) << 8 | (header[4] & 0xff))];
            System.arraycopy(header, 0, record, 0, 5);
            in.readFully(record, 5, record.length - 5);
            return ByteBuffer.wrap(record);
        }

        /** @return the application bytes the record carried (0 for a post-handshake message such as a session ticket) */
        int unwrap(ByteBuffer record) throws IOException {
            int before = app.position();
            while (record.hasRemaining()) {
                SSLEngineResult r = engine.unwrap(record, app);
                Runnable task;
                while ((task = engine.getDelegatedTask()) != null) {
                    task.run();
                }
                if (r.bytesConsumed() == 0) {
                    break;
                }
            }
            return app.position() - before;
        }

        /**
         * Sends {@code request} and reads records until the response, ending with {@code body}, has come whole.
         *
         * @return how many records carried application data (a session ticket carries none)
         */
        int exchange(String request, String body) throws IOException {
            app.clear();
            send(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            return readUntil(t -> t.contains("\r\n\r\n") && t.endsWith(body));
        }

        /** Reads records until what was decrypted so far passes {@code done}; returns how many carried application data. */
        int readUntil(Predicate<String> done) throws IOException {
            int records = 0;
            while (!done.test(text())) {
                if (unwrap(readRecord()) > 0) {
                    records++;
                }
            }
            return records;
        }

        String text() {
            return new String(app.array(), 0, app.position(), StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** The proxy on {@code provider}, one route to {@code targetPort}, api.example.com's certificate. */
    private void serveTls(TlsProvider provider, int targetPort) throws Exception {
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0).withProvider(provider)), new SimpleMeterRegistry());
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/").build()), List.of(upstream("default/u", targetPort)),
                List.of(), List.of(leaf.certificate("default/api-tls", "api.example.com"))))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aSmallResponseIsOneTlsRecordHeadAndBodyTogether(TlsProvider provider) throws Exception {
        String body = "Hello from my service";
        OneWriteTarget target = new OneWriteTarget(body, null);
        closeables.add(target);
        serveTls(provider, target.port());

        try (RecordClient c = new RecordClient(proxy.tlsPort())) {
            String request = "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
            // the first response may come with the session tickets, which carry no application data
            c.exchange(request, body);
            for (int i = 1; i <= 5; i++) {
                assertThat(c.exchange(request, body)).as("records carrying response %d", i + 1).isEqualTo(1);
                assertThat(c.text()).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("\r\ncontent-length: 21\r\n")
                        .endsWith("\r\n\r\n" + body);
            }
        }
    }

    /** The counter above sees a second record when there is one: a body the target sends after its head is relayed on its own. */
    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aBodyThatComesAfterTheRelayedHeadIsARecordOfItsOwn(TlsProvider provider) throws Exception {
        String body = "Hello from my service";
        CountDownLatch bodyGate = new CountDownLatch(1);
        closeables.add(bodyGate::countDown); // a connection still waiting at the end lets go first
        OneWriteTarget target = new OneWriteTarget(body, bodyGate);
        closeables.add(target);
        serveTls(provider, target.port());

        try (RecordClient c = new RecordClient(proxy.tlsPort())) {
            c.send(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(c.readUntil(t -> t.contains("\r\n\r\n"))).as("records carrying the head").isEqualTo(1);
            assertThat(c.text()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
            bodyGate.countDown();
            assertThat(c.readUntil(t -> t.endsWith(body))).as("records carrying the body").isEqualTo(1);
        }
    }
}
