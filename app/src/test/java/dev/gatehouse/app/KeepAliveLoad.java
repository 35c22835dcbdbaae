package dev.gatehouse.app;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Steady load as real HTTP/1.1 keep-alive clients make it: each thread sends {@code GET} after
 * {@code GET} on one connection, reads each response whole ({@code Content-Length} or chunked),
 * and opens a new connection only when a response says {@code Connection: close} or the
 * connection failed. A refused connect is retried after a short pause, as a client (or the load
 * balancer in front of it) would. New connections go to the proxy while {@code routed} says so
 * (a load balancer that has the proxy in rotation); else the client would open it to another
 * replica, which is counted as {@link Outcome#REROUTED} (connections already open stay in use).
 *
 * <p>Every outcome is counted under one {@link Outcome}; only {@link Outcome#OK} and
 * {@link Outcome#REFUSED} are not failures of a request that was sent.
 */
final class KeepAliveLoad implements AutoCloseable {
    enum Outcome {
        /** 200 with its whole body. */
        OK,
        /** The connect was refused: the port was closed, no request was sent. */
        REFUSED,
        /** A new connection was needed while the load balancer no longer routed to the proxy: no request sent to it. */
        REROUTED,
        /** A status other than 200. */
        BAD_STATUS,
        /** Reset (ECONNRESET) before any byte of the response, on a connection that had served requests. */
        RESET_REUSED,
        /** Reset before any byte of the response, on a connection just opened. */
        RESET_FRESH,
        /** End of stream before any byte of the response, on a connection that had served requests. */
        EOF_REUSED,
        /** End of stream before any byte of the response, on a connection just opened. */
        EOF_FRESH,
        /** The response started but did not end (reset or end of stream within it). */
        TRUNCATED,
        /** No answer within the socket timeout. */
        TIMEOUT,
        /** Anything else (connect timeout, ...). */
        OTHER
    }

    private static final long PAUSE_AFTER_REFUSAL_MILLIS = 20;
    private final int port;
    private final String path;
    private final List<Thread> threads = new ArrayList<>();
    private final Map<Outcome, AtomicLong> counts = new ConcurrentHashMap<>();
    /** The first error seen per outcome, for the failure message. */
    private final Map<Outcome, String> firstError = new ConcurrentHashMap<>();
    /** When each failure happened (System.nanoTime()), at most 100. */
    private final java.util.Queue<Long> failureNanos = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicLong connections = new AtomicLong();
    /** When the first connect was refused (System.nanoTime()), 0 before. */
    private final AtomicLong firstRefusedNanos = new AtomicLong();
    private volatile boolean stopped;

    private final BooleanSupplier routed;

    private KeepAliveLoad(int port, String path, BooleanSupplier routed) {
        this.port = port;
        this.path = path;
        this.routed = routed;
        for (Outcome o : Outcome.values()) {
            counts.put(o, new AtomicLong());
        }
    }

    /**
     * @param routed whether new connections go to the proxy (its load balancer has it in rotation);
     *               {@code () -> true} for clients that connect straight to the port
     */
    static KeepAliveLoad start(int port, String path, int clients, BooleanSupplier routed) {
        KeepAliveLoad load = new KeepAliveLoad(port, path, routed);
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(load::run, "keep-alive-client-" + i);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    long count(Outcome o) {
        return counts.get(o).get();
    }

    /** Requests that were sent and not answered with a whole 200: every outcome but OK, REFUSED and REROUTED. */
    long failures() {
        long n = 0;
        for (Outcome o : Outcome.values()) {
            if (failure(o)) {
                n += count(o);
            }
        }
        return n;
    }

    /** Connections opened so far. */
    long connections() {
        return connections.get();
    }

    long firstRefusedNanos() {
        return firstRefusedNanos.get();
    }

    Map<Outcome, Long> snapshot() {
        Map<Outcome, Long> m = new TreeMap<>();
        counts.forEach((o, n) -> m.put(o, n.get()));
        return m;
    }

    private void run() {
        Socket socket = null;
        InputStream in = null;
        boolean reused = false;
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: drain.test\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        while (!stopped) {
            if (socket == null) {
                if (!routed.getAsBoolean()) {
                    count(Outcome.REROUTED, null);
                    pause();
                    continue;
                }
                socket = new Socket();
                try {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                    socket.setSoTimeout(15_000);
                    in = new BufferedInputStream(socket.getInputStream());
                    reused = false;
                    connections.incrementAndGet();
                } catch (ConnectException e) {
                    firstRefusedNanos.compareAndSet(0, System.nanoTime());
                    count(Outcome.REFUSED, e);
                    socket = close(socket);
                    pause();
                    continue;
                } catch (IOException e) {
                    count(Outcome.OTHER, e);
                    socket = close(socket);
                    pause();
                    continue;
                }
            }
            Outcome outcome;
            Exception error = null;
            boolean keep = false;
            Response r = new Response();
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
                r.read(in);
                outcome = r.status == 200 ? Outcome.OK : Outcome.BAD_STATUS;
                keep = !r.close;
            } catch (SocketTimeoutException e) {
                outcome = Outcome.TIMEOUT;
                error = e;
            } catch (SocketException | EOFException e) {
                error = e;
                boolean reset = e instanceof SocketException && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT)
                        .matches(".*(reset|broken pipe).*");
                if (r.started) {
                    outcome = Outcome.TRUNCATED;
                } else if (reset) {
                    outcome = reused ? Outcome.RESET_REUSED : Outcome.RESET_FRESH;
                } else {
                    outcome = reused ? Outcome.EOF_REUSED : Outcome.EOF_FRESH;
                }
            } catch (IOException e) {
                outcome = Outcome.OTHER;
                error = e;
            }
            count(outcome, error != null ? error : outcome == Outcome.BAD_STATUS ? new IOException("status " + r.status) : null);
            if (keep) {
                reused = true;
            } else {
                socket = close(socket);
            }
        }
        close(socket);
    }

    private static boolean failure(Outcome o) {
        return o != Outcome.OK && o != Outcome.REFUSED && o != Outcome.REROUTED;
    }

    private void count(Outcome o, Exception e) {
        counts.get(o).incrementAndGet();
        if (failure(o) && failureNanos.size() < 100) {
            failureNanos.add(System.nanoTime());
        }
        if (e != null) {
            firstError.putIfAbsent(o, e.toString());
        }
    }

    /** When failures happened, in ms after {@code t0Nanos}. */
    List<Long> failureMillisAfter(long t0Nanos) {
        return failureNanos.stream().map(n -> TimeUnit.NANOSECONDS.toMillis(n - t0Nanos)).sorted().toList();
    }

    /** The first error of each failed outcome seen. */
    Map<Outcome, String> firstErrors() {
        return new TreeMap<>(firstError);
    }

    private static Socket close(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        return null;
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_AFTER_REFUSAL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the clients and waits for them (each ends its request in flight first). */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    /** One response, read whole; {@code started} once its first byte arrived. */
    private static final class Response {
        boolean started;
        int status;
        boolean close;

        void read(InputStream in) throws IOException {
            int first = in.read();
            if (first < 0) {
                throw new EOFException("end of stream before the response");
            }
            started = true;
            String statusLine = (char) first + line(in);
            status = Integer.parseInt(statusLine.split(" ")[1]);
            long length = -1;
            boolean chunked = false;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line(in).split(";")[0].trim(), 16); size > 0;
                     size = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
                    skip(in, size);
                    line(in);
                }
                line(in);
            } else if (length >= 0) {
                skip(in, length);
            } else {
                throw new IOException("a response without a length (expected: Content-Length or chunked)");
            }
        }

        private static void skip(InputStream in, long n) throws IOException {
            if (in.readNBytes((int) n).length < n) {
                throw new EOFException("end of stream in the body");
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new EOFException("end of stream in the head");
                }
                sb.append((char) c);
            }
            int n = sb.length();
            return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
        }
    }
}
