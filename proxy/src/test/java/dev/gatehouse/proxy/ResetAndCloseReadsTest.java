package dev.gatehouse.proxy;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reset that arrives together with a peer's last bytes, and a close the proxy makes while a read
 * is still wanted, on every transport this host runs. Netty 4.2.18's io_uring, reading after a
 * {@code POLL_ADD}, got both wrong (docs/decisions.md, "io_uring reads from a provided buffer
 * ring"): a multishot poll fires once for data and reset together, so the read that follows waits
 * for a wakeup that never comes; and a one-shot poll armed by a {@code read()} after
 * {@code close()} keeps the closed socket open. Each test waits for an outcome (a 502, a close, an
 * EOF) that the timeouts in play would give only much later (60 s), within generous bounds
 * (20-30 s), never for how fast it came.
 */
class ResetAndCloseReadsTest {
    private static TestCerts ca;
    private static TestCerts.Leaf leaf;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        ca = new TestCerts("reset-close-ca");
        leaf = ca.leaf("api", "api.example.com");
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private ProxyServer start(ProxyConfig config, PrometheusMeterRegistry registry) {
        ProxyServer proxy = ProxyServer.start(config, registry);
        closeables.add(proxy);
        return proxy;
    }

    /** A proxy with one route to a target that is never reached (port 9), and {@code certs} for its TLS port. */
    private ProxyServer startWithRoute(ProxyConfig config, PrometheusMeterRegistry registry, List<Certificate> certs) {
        ProxyServer proxy = start(config, registry);
        assertThat(proxy.apply(new Snapshot(1, List.of(service("default/s", "default/u")), List.of(route("default/r", "default/s").build()),
                List.of(upstream("default/u", 9)), List.of(), certs))).isEmpty();
        return proxy;
    }

    /**
     * A target sends part of a response head and resets in the same instant: the client gets 502 on
     * the read, not a 504 at the read timeout (60 s here).
     */
    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aTargetThatResetsWithItsLastBytesIsA502NotAReadTimeout(TransportChoice choice) throws Exception {
        Fixtures.assumeAvailable(choice);
        ServerSocket target = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        closeables.add(target);
        Service s = service("default/s", "default/u", "/", 0, new Service.Timeouts(10_000, 60_000, 10_000));
        ProxyServer proxy = start(Fixtures.oneLoopConfig().withTransport(choice), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(s), List.of(route("default/r", s.id()).stripPath(false).build()),
                List.of(upstream("default/u", target.getLocalPort())), List.of()))).isEmpty();
        try (TestClient c = new TestClient(proxy.port())) {
            c.socket().setSoTimeout(30_000);
            for (int i = 0; i < 3; i++) {
                c.write("GET /cut/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                try (Socket upstream = target.accept()) {
                    upstream.setSoTimeout(20_000);
                    readHead(upstream);
                    // the proxy's one loop (client and upstream) learns of the bytes and the reset at once
                    sendThenResetWhileBusy(proxy, upstream, "HTTP/1.1 200 OK\r\nX-Echo: cut\r\nContent-Le");
                }
                assertThat(c.read(false).status()).as("answer %d on %s", i, choice).isEqualTo(502);
            }
        }
    }

    /**
     * A client sends part of a request head and resets in the same instant: its connection is
     * closed at once, not held until the head timeout (60 s here). Counted on the open-connections
     * gauge.
     */
    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aClientThatResetsWithPartOfAHeadIsClosedNotHeldToTheHeadTimeout(TransportChoice choice) throws Exception {
        Fixtures.assumeAvailable(choice);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyServer proxy = startWithRoute(Fixtures.oneLoopConfig().withTransport(choice)
                .withLimits(ClientLimits.DEFAULTS.withRequestHeadTimeout(Duration.ofSeconds(60))), registry, List.of());
        for (int i = 0; i < 3; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
            awaitActive(registry, 1, "the proxy holds client " + i);
            // as from a client that resets right behind its last write, on a busy proxy
            sendThenResetWhileBusy(proxy, s, "GET / HTTP/1.1\r\nHost: a\r\nX-Part");
            awaitActive(registry, 0, "the proxy closed client " + i + " on " + choice);
        }
    }

    /**
     * A TLS 1.1 hello is answered with a protocol_version alert and a close: the client reads the
     * alert and then the end of the stream, not a socket held open until it gives up (30 s here).
     */
    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aRefusedTlsHelloEndsWithTheAlertAndAClose(TransportChoice choice) throws Exception {
        Fixtures.assumeAvailable(choice);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyServer proxy = startWithRoute(Fixtures.config().withTransport(choice)
                .withTls(TlsConfig.on(0).withProvider(TlsProvider.JDK).withHandshakeTimeout(Duration.ofSeconds(60))), registry,
                List.of(leaf.certificate("default/api", "api.example.com")));
        for (int i = 0; i < 3; i++) {
            // reads until the end of the stream; a socket left open fails it with a SocketTimeoutException
            byte[] answer = TlsClient.rawHello(proxy.tlsPort(), 0x0302, "api.example.com", 30_000);
            assertThat(answer).as("hello %d on %s: an alert record, fatal, protocol_version", i, choice)
                    .hasSizeGreaterThanOrEqualTo(7);
            assertThat(answer[0]).isEqualTo((byte) 0x15);
            assertThat(answer[6]).isEqualTo((byte) 70);
        }
        awaitActive(registry, 0, "every refused connection closed on " + choice);
    }

    interface SocketWork {
        void run() throws Exception;
    }

    /**
     * Runs {@code work} while the event loop of the proxy's first client connection runs a task that
     * waits for it: what {@code work} sends reaches the loop's sockets while the loop is busy.
     */
    private static void whileBusy(ProxyServer proxy, SocketWork work) throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        proxy.clientChannels().iterator().next().eventLoop().execute(() -> {
            busy.countDown();
            try {
                done.await(20, TimeUnit.SECONDS);
                Thread.sleep(50); // the loopback's last segment delivered
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(busy.await(20, TimeUnit.SECONDS)).as("the loop runs the task").isTrue();
        try {
            work.run();
        } finally {
            done.countDown();
        }
    }

    /**
     * Sends {@code bytes} on {@code s} and resets it right behind them (SO_LINGER 0, then close) while
     * the proxy's loop is busy ({@link #whileBusy}), so the loop learns of the bytes and the reset at once.
     */
    private static void sendThenResetWhileBusy(ProxyServer proxy, Socket s, String bytes) throws Exception {
        whileBusy(proxy, () -> {
            OutputStream out = s.getOutputStream();
            out.write(bytes.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.setSoLinger(true, 0); // the close below is a reset, right behind the bytes
            s.close();
        });
    }

    /** Reads a request head (up to its blank line) from {@code s}. */
    private static void readHead(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the proxy closed before the end of the head");
            }
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    /** Polls the open-connections gauge until it reads {@code want} (bounded: 20 s). */
    private static void awaitActive(PrometheusMeterRegistry registry, double want, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        double got;
        do {
            got = PrometheusText.parse(registry.scrape()).value("gatehouse_connections_active");
            if (got == want) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertThat(got).as(what + ": open client connections").isEqualTo(want);
    }
}
