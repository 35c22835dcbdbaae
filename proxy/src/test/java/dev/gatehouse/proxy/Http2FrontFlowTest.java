package dev.gatehouse.proxy;

import com.sun.net.httpserver.HttpServer;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP/2 front's streams without a channel each: request bodies held against the stream's
 * window until the exchange takes them, responses written as the client's window allows, and a
 * stream's end (a reset mid-body) ending only its exchange. Bodies in both directions are larger
 * than the windows (16 KiB each way), the target is slow, and what a stream's client sees is
 * checked byte for byte; the window updates are read off the raw frames.
 */
class Http2FrontFlowTest {
    private static final int WINDOW = 16 * 1024;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        pool.shutdownNow();
    }

    private ProxyServer proxy(int targetPort) {
        ProxyServer proxy = ProxyServer.start(Fixtures.config().withHttp2(Http2Config.DEFAULTS.withInitialWindowSize(WINDOW)));
        closeables.add(proxy);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", targetPort)), List.of())))
                .isEmpty();
        return proxy;
    }

    /** The bytes stream {@code stream} uploads: a pattern of its own, so a piece relayed to the wrong stream or out of order shows. */
    private static byte[] pattern(int stream, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + stream * 7 + (i >>> 10));
        }
        return b;
    }

    /** A target that echoes the request body as it reads it, 4 KiB at a time, pausing between pieces (a slow target). */
    private HttpServer slowEcho(List<Integer> remotePorts, CountDownLatch bodyStarted, CountDownLatch cut) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(pool);
        server.createContext("/", ex -> {
            remotePorts.add(ex.getRemoteAddress().getPort());
            try (ex) {
                ex.sendResponseHeaders(200, 0);
                byte[] buf = new byte[4096];
                try (InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
                    int pieces = 0;
                    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                        bodyStarted.countDown();
                        out.write(buf, 0, n);
                        out.flush();
                        if (++pieces % 8 == 0) {
                            Thread.sleep(1); // the slow target: what it has not read yet waits in the proxy's windows
                        }
                    }
                } catch (IOException e) {
                    cut.countDown(); // the proxy closed the target connection mid-body
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        server.start();
        closeables.add(() -> server.stop(0));
        return server;
    }

    @Test
    void manyConcurrentStreamsWithBodiesLargerThanTheWindowsBothWays() throws Exception {
        HttpServer target = slowEcho(new CopyOnWriteArrayList<>(), new CountDownLatch(1), new CountDownLatch(1));
        ProxyServer proxy = proxy(target.getAddress().getPort());
        int streams = 12;
        int size = 256 * 1024;
        try (H2Client c = new H2Client(proxy.port(), Http2Settings.defaultSettings().initialWindowSize(WINDOW))) {
            assertThat(c.settings.get(5, TimeUnit.SECONDS).initialWindowSize()).isEqualTo(WINDOW);
            List<CompletableFuture<H2Client.Response>> answers = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                H2Client.Stream s = c.open();
                byte[] body = pattern(i, size);
                s.channel.write(new DefaultHttp2HeadersFrame(H2Client.headers("POST", "/echo/" + i, "a")
                        .add("content-length", Integer.toString(size)), false));
                // the client's flow controller holds what the proxy's window does not take yet
                for (int at = 0; at < size; at += 8192) {
                    s.channel.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body, at, 8192), at + 8192 == size));
                }
                s.channel.flush();
                answers.add(s.response);
            }
            for (int i = 0; i < streams; i++) {
                H2Client.Response r = answers.get(i).get(60, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyBytes()).isEqualTo(size);
                assertThat(r.body()).as("stream %d's echo", i).isEqualTo(pattern(i, size));
            }
        }
        awaitNoneInFlight(proxy);
    }

    @Test
    void streamResetMidBodyEndsItsExchangeAndTheTargetConnectionIsNotReused() throws Exception {
        List<Integer> ports = new CopyOnWriteArrayList<>();
        CountDownLatch bodyStarted = new CountDownLatch(1);
        CountDownLatch cut = new CountDownLatch(1);
        HttpServer target = slowEcho(ports, bodyStarted, cut);
        ProxyServer proxy = proxy(target.getAddress().getPort());
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Stream s = c.open();
            s.channel.write(new DefaultHttp2HeadersFrame(H2Client.headers("POST", "/upload", "a"), false));
            s.channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(pattern(1, 8192)), false));
            assertThat(bodyStarted.await(10, TimeUnit.SECONDS)).as("the target got the first body bytes").isTrue();
            s.cancel();
            assertThat(cut.await(10, TimeUnit.SECONDS)).as("the target connection is closed, its request never complete").isTrue();

            H2Client.Response next = c.send(H2Client.headers("POST", "/next", "a"), "after".getBytes(StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS);
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("after");
            assertThat(ports).hasSize(2);
            assertThat(ports.get(1)).as("a new target connection: the reset one was not pooled").isNotEqualTo(ports.get(0));
        }
        awaitNoneInFlight(proxy);
    }

    /**
     * A target that takes no body bytes: the proxy returns the client's window only for what the
     * target's connection took, so the client's DATA stop at what the windows and the socket
     * buffers between the proxy and the target hold; once the target reads, the updates resume
     * and the whole body arrives, nothing lost or repeated.
     */
    @Test
    void windowUpdatesFollowWhatTheTargetTakes() throws Exception {
        long size = 48L << 20;
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReceiveBufferSize(4096);
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            CountDownLatch readNow = new CountDownLatch(1);
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> drainAfter(listener, readNow), pool);
            ProxyServer proxy = proxy(listener.getLocalPort());
            try (RawH2 h2 = new RawH2(proxy.port())) {
                h2.handshake();
                h2.headers(1, H2Client.headers("POST", "/held", "a").add("content-length", Long.toString(size)), false).send();
                long window = WINDOW;
                long sent = 0;
                byte[] piece = new byte[WINDOW];
                // send what the window allows; stop when no update comes for a while (the target is not reading)
                while (sent < size) {
                    while (window > 0 && sent < size) {
                        int n = (int) Math.min(Math.min(window, piece.length), size - sent);
                        h2.data(1, n == piece.length ? piece : java.util.Arrays.copyOf(piece, n), sent + n == size);
                        sent += n;
                        window -= n;
                    }
                    h2.send();
                    RawH2.Frame update = h2.untilWithin(f -> f.type() == 0x8 && f.streamId() == 1, 1_000);
                    if (update == null) {
                        break;
                    }
                    window += increment(update);
                }
                long held = sent;
                assertThat(held).as("bytes the client could send while the target read none").isLessThan(16L << 20);
                readNow.countDown();
                while (sent < size) {
                    RawH2.Frame update = h2.until(f -> f.type() == 0x8 && f.streamId() == 1);
                    assertThat(update).as("window updates once the target reads").isNotNull();
                    window += increment(update);
                    while (window > 0 && sent < size) {
                        int n = (int) Math.min(Math.min(window, piece.length), size - sent);
                        h2.data(1, n == piece.length ? piece : java.util.Arrays.copyOf(piece, n), sent + n == size);
                        sent += n;
                        window -= n;
                    }
                    h2.send();
                }
                assertThat(received.get(60, TimeUnit.SECONDS)).as("body bytes the target received").isEqualTo(size);
            }
        }
    }

    private static long increment(RawH2.Frame f) {
        byte[] p = f.payload();
        return ((p[0] & 0x7fL) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
    }

    /** Accepts one connection, reads its head at once and its body only after {@code readNow}; returns the body's size. */
    private static long drainAfter(ServerSocket listener, CountDownLatch readNow) {
        try (Socket s = listener.accept()) {
            InputStream in = s.getInputStream();
            int matched = 0;
            while (matched < 4) { // the head ends with CRLF CRLF
                int b = in.read();
                if (b < 0) {
                    return -1;
                }
                matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
            }
            readNow.await();
            long n = 0;
            byte[] buf = new byte[65536];
            for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                n += r;
                if (n == (48L << 20)) {
                    break; // Content-Length framing: the whole body
                }
            }
            return n;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void awaitNoneInFlight(ProxyServer proxy) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (proxy.inFlight() != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(proxy.inFlight()).isZero();
    }
}
