package dev.gatehouse.e2e;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A backend of the fault drills: HTTP/1.1 keep-alive on a loopback ServerSocket, one thread per
 * connection, framing read by hand (Content-Length or chunked). It records every request whose
 * head it read as an {@link Arrival}, keyed by the client's {@code X-Drill-Id} (so a request
 * replayed without its body still counts as having reached it), reads the body, then behaves
 * as told:
 *
 * <ul>
 *   <li>{@link Behaviour#ANSWER}: 200 with its name in {@code X-Served-By} and the request's
 *       {@code X-Drill-Id} echoed in {@code X-Drill-Echo} (and, for a small answer, in the body:
 *       {@code <name> <id>}), so a client can tell the answer to its own request from one relayed
 *       to it by mistake ({@link DrillClient} checks every answer); a path
 *       {@code /big/<bytes>} is answered with that many bytes, streamed from one 64 KiB buffer
 *       (what it could write is {@link #bytesWritten()});</li>
 *   <li>{@link Behaviour#SILENT}: never answers, keeps the connection open until closed;</li>
 *   <li>{@link Behaviour#RESET_AFTER_BODY}: resets the connection (RST, SO_LINGER 0) once the
 *       whole request, body included, was read.</li>
 * </ul>
 *
 * <p>{@link #main} runs one in a process of its own, printing {@code port <n>} and then one line
 * {@code arrival <id> <method>} per request, so a drill can kill it with SIGKILL. The arrival is
 * recorded, and its line written to the process's standard output (an unbuffered descriptor,
 * flushed by {@code println}), before the request's body is read and before any byte of its
 * answer is written: a SIGKILL cannot leave an answer on the wire whose arrival line is not in
 * the pipe (the kernel keeps what a killed process wrote to a pipe for the reader).
 */
final class DrillBackend implements AutoCloseable {
    enum Behaviour { ANSWER, SILENT, RESET_AFTER_BODY }

    /** One request whose head arrived: its X-Drill-Id (null without one), method and path. */
    record Arrival(String id, String method, String path) {
    }

    private static final byte[] FILL = new byte[64 * 1024];

    private final String name;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "drill-backend");
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
    /** Arrivals by X-Drill-Id, for {@link #count}. */
    private final java.util.Map<String, AtomicInteger> byId = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final Consumer<Arrival> onArrival;
    private volatile Behaviour behaviour;

    private DrillBackend(String name, Behaviour behaviour, Consumer<Arrival> onArrival) throws IOException {
        this.name = name;
        this.behaviour = behaviour;
        this.onArrival = onArrival;
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    static DrillBackend start(String name, Behaviour behaviour) throws IOException {
        return new DrillBackend(name, behaviour, a -> { });
    }

    int port() {
        return server.getLocalPort();
    }

    String name() {
        return name;
    }

    void behave(Behaviour b) {
        behaviour = b;
    }

    /** How many times the request with {@code id} arrived here. */
    long count(String id) {
        AtomicInteger n = byId.get(id);
        return n == null ? 0 : n.get();
    }

    /** Response body bytes this backend handed to its sockets (the kernel took them). */
    long bytesWritten() {
        return bytesWritten.get();
    }

    int connections() {
        return connections.get();
    }

    /** Connections open now. */
    int openConnections() {
        return sockets.size();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                connections.incrementAndGet();
                threads.execute(() -> serve(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
                Arrival a = new Arrival(header(head, "x-drill-id"), line[0], line[1]);
                if (a.id() != null) {
                    byId.computeIfAbsent(a.id(), k -> new AtomicInteger()).incrementAndGet();
                }
                arrivals.add(a); // a request reached this backend once its head did, body or not
                onArrival.accept(a);
                readBody(in, head);
                switch (behaviour) {
                    case SILENT -> {
                        // never answer: hold the connection until the peer or close() ends it
                        while (in.read() >= 0) {
                            // the proxy sends nothing more on a connection it awaits an answer on
                        }
                        return;
                    }
                    case RESET_AFTER_BODY -> {
                        s.setSoLinger(true, 0);
                        return;
                    }
                    case ANSWER -> answer(out, a);
                }
            }
        } catch (IOException e) {
            // the peer went away, or close()
        } finally {
            sockets.remove(s);
        }
    }

    private void answer(OutputStream out, Arrival a) throws IOException {
        String path = a.path();
        String echo = a.id() == null ? "" : "X-Drill-Echo: " + a.id() + "\r\n";
        if (path.startsWith("/big/")) {
            long size = Long.parseLong(path.substring(5));
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nContent-Type: application/octet-stream\r\nX-Served-By: "
                    + name + "\r\n" + echo + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            for (long left = size; left > 0; ) {
                int n = (int) Math.min(left, FILL.length);
                out.write(FILL, 0, n);
                bytesWritten.addAndGet(n);
                left -= n;
            }
            out.flush();
            return;
        }
        // head and body in one write, as a server answers a small response: a SIGKILL (the kill drill)
        // then ends the connection between responses, never inside one (a response the target itself
        // cut after its head cannot be retried by any proxy, and is not what the drill counts)
        String text = smallBody(name, a.id());
        byte[] body = text.getBytes(StandardCharsets.ISO_8859_1);
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nContent-Type: text/plain\r\nX-Served-By: " + name
                + "\r\n" + echo + "\r\n" + text).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        bytesWritten.addAndGet(body.length);
    }

    /** The body of a small answer by backend {@code name} to the request with {@code id}: {@code <name> <id>}, or the name alone without an id. */
    static String smallBody(String name, String id) {
        return id == null ? name : name + " " + id;
    }

    /** The head up to and including the CRLF before the blank line; null at a clean end of stream. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            int n = sb.length();
            if (n >= 4 && sb.charAt(n - 1) == '\n' && sb.charAt(n - 2) == '\r' && sb.charAt(n - 3) == '\n' && sb.charAt(n - 4) == '\r') {
                return sb.substring(0, n - 2);
            }
        }
        if (sb.length() > 0) {
            throw new IOException("connection closed mid-head");
        }
        return null;
    }

    private static void readBody(InputStream in, String head) throws IOException {
        String te = header(head, "transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line(in).isEmpty()) {
                        // trailer fields
                    }
                    return;
                }
                skip(in, size);
                line(in);
            }
        }
        String cl = header(head, "content-length");
        if (cl != null) {
            skip(in, Long.parseLong(cl.trim()));
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        in.skipNBytes(n);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return sb.toString().replaceAll("\r$", "");
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed mid-line");
    }

    static String header(String head, String name) {
        for (String l : head.split("\r\n")) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return l.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** As SIGKILL would: the listener closes (new connects are refused) and every connection is reset. */
    void kill() {
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    @Override
    public void close() {
        kill();
        threads.shutdownNow();
    }

    /** {@code DrillBackend <name>}: an answering backend in a process of its own; see the class comment. */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        DrillBackend b = new DrillBackend(args[0], Behaviour.ANSWER, a -> {
            synchronized (out) {
                out.println("arrival " + a.id() + " " + a.method());
            }
        });
        synchronized (out) {
            out.println("port " + b.port());
        }
        Thread.currentThread().join();
    }
}
