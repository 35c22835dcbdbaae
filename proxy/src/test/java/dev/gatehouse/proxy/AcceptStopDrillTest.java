package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listener's close under clients that connect as fast as they can (the harsh case: no load
 * balancer took the proxy out of rotation, the drain delay is zero): each client opens a new
 * connection, sends one request and reads the answer, until a connect is refused. Over
 * {@link #RUNS} drains, no fresh connection may be reset: every connect the kernel completed is
 * accepted and answered ({@code Connection: close}), every later one is refused (see
 * {@code DataPort.AcceptStop}). Prints one line of figures.
 */
class AcceptStopDrillTest {
    /**
     * Drains; the measurement in docs/decisions.md ran 30 with 16 clients
     * ({@code -Dgatehouse.drill.runs=30 -Dgatehouse.drill.clients=16}): a run takes a second
     * more than before the filter, each client waiting for its SYN's retransmission to be refused.
     */
    private static final int RUNS = Integer.getInteger("gatehouse.drill.runs", 10);
    /** Clients per drain. */
    private static final int CLIENTS = Integer.getInteger("gatehouse.drill.clients", 8);
    private static final String GET = "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

    enum Outcome { OK, REFUSED, RESET, OTHER }

    @Test
    void connectsDuringTheListenersCloseAreAnsweredOrRefusedNeverReset() throws Exception {
        Map<Outcome, LongAdder> total = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            total.put(o, new LongAdder());
        }
        List<String> resets = new ArrayList<>();
        Map<String, Long> otherErrors = new ConcurrentHashMap<>();
        try (Backend backend = new Backend("b")) {
            for (int r = 0; r < RUNS; r++) {
                int run = r;
                List<String> runResets = new java.util.concurrent.CopyOnWriteArrayList<>();
                Map<Outcome, Long> counts = drill(backend, otherErrors, runResets);
                counts.forEach((o, n) -> total.get(o).add(n));
                runResets.forEach(reset -> resets.add("run " + run + ": " + reset));
            }
        }
        String figures = String.format("accept-stop drill: %d drains, %d clients each: answered %d, refused %d, reset %d %s, "
                        + "other %d %s (transport %s)", RUNS, CLIENTS, total.get(Outcome.OK).sum(), total.get(Outcome.REFUSED).sum(),
                total.get(Outcome.RESET).sum(), resets, total.get(Outcome.OTHER).sum(), otherErrors, Transport.of(Fixtures.transport()).name());
        System.out.println(figures);
        assertThat(total.get(Outcome.REFUSED).sum()).as("every client ended refused; %s", figures).isEqualTo((long) RUNS * CLIENTS);
        assertThat(total.get(Outcome.OTHER).sum()).as(figures).isZero();
        assertThat(total.get(Outcome.RESET).sum()).as("fresh connections reset by the listener's close; %s", figures).isZero();
    }

    /** One proxy, {@link #CLIENTS} clients connecting in a loop, a drain with no delay; the outcomes. */
    private static Map<Outcome, Long> drill(Backend backend, Map<String, Long> otherErrors, List<String> resets) throws Exception {
        ProxyServer proxy = ProxyServer.start(Fixtures.config().withDrain(Duration.ZERO, Duration.ofSeconds(5)));
        CompletableFuture<Void> closing = null;
        try {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())), List.of())))
                    .isEmpty();
            int port = proxy.port();
            Map<Outcome, LongAdder> counts = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                counts.put(o, new LongAdder());
            }
            AtomicLong answered = new AtomicLong();
            AtomicLong closeStarted = new AtomicLong();
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (System.nanoTime() < deadline) {
                        Outcome o = once(port, otherErrors, closeStarted, resets);
                        counts.get(o).increment();
                        if (o == Outcome.OK) {
                            answered.incrementAndGet();
                        }
                        if (o == Outcome.REFUSED) {
                            return;
                        }
                    }
                }, runnable -> {
                    Thread t = new Thread(runnable, "drill-client");
                    t.setDaemon(true);
                    t.start();
                }));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (answered.get() < 10L * CLIENTS && System.nanoTime() < until) {
                Thread.sleep(1);
            }
            closeStarted.set(System.nanoTime());
            closing = CompletableFuture.runAsync(proxy::close);
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            closing.get(30, TimeUnit.SECONDS);
            Map<Outcome, Long> result = new EnumMap<>(Outcome.class);
            counts.forEach((o, n) -> result.put(o, n.sum()));
            return result;
        } finally {
            if (closing == null) {
                proxy.close();
            }
        }
    }

    /**
     * One connect, request and answer. A reset is described in {@code resets}: at which step
     * (write or read), how many answer bytes came before it, and when, counted from the start of
     * the listener's close ({@code closeStarted}, 0 before it), so a failure says which window it fell in.
     */
    private static Outcome once(int port, Map<String, Long> otherErrors, AtomicLong closeStarted, List<String> resets) {
        String step = "connect";
        int answerBytes = 0;
        int localPort = 0;
        try (Socket s = new Socket()) {
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            } catch (ConnectException e) {
                return Outcome.REFUSED;
            }
            localPort = s.getLocalPort();
            s.setSoTimeout(5_000);
            step = "write";
            s.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            step = "read";
            InputStream in = s.getInputStream();
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0; ) {
                bytes.write(buf, 0, n);
                answerBytes += n;
            }
            String answer = bytes.toString(StandardCharsets.US_ASCII);
            if (answer.startsWith("HTTP/1.1 200 ") && answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close")) {
                return Outcome.OK;
            }
            otherErrors.merge(answer.isEmpty() ? "closed without an answer" : answer.lines().findFirst().orElse(""), 1L, Long::sum);
            return Outcome.OTHER;
        } catch (SocketTimeoutException e) {
            otherErrors.merge(e.toString(), 1L, Long::sum);
            return Outcome.OTHER;
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("reset") || String.valueOf(e.getMessage()).contains("Broken pipe")) {
                long started = closeStarted.get();
                resets.add(String.format("client port %d, at %s after %d answer bytes, %s", localPort, step, answerBytes, started == 0
                        ? "before the close" : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms into the close"));
                return Outcome.RESET;
            }
            otherErrors.merge(e.toString(), 1L, Long::sum);
            return Outcome.OTHER;
        }
    }
}
