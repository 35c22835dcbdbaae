package dev.gatehouse.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A backend that records every byte it receives, per connection, and parses requests itself
 * exactly as RFC 9112 frames them (Content-Length, or chunked; no body otherwise). What it
 * parsed is {@link #requests}; {@link #leftover()} holds bytes that did not parse as part of a
 * framed request — the bytes a smuggled request would be. Each request is answered by
 * {@link #responder} (default: 200 with {@code METHOD path} as the body).
 */
public final class RawBackend implements AutoCloseable {
    /** One request as read off the wire: its head (CRLF lines) and its decoded body. */
    public record Request(int connection, String head, byte[] body, String raw) {
        public String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        public String path() {
            return requestLine().split(" ")[1];
        }

        /** The values of a header, in order; names compared case-insensitively. */
        public List<String> header(String name) {
            List<String> out = new java.util.ArrayList<>();
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    out.add(line.substring(colon + 1).trim());
                }
            }
            return out;
        }
    }

    private final ServerSocket server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Every byte received, one entry per connection, in accept order. */
    public final List<ByteArrayOutputStream> received = new CopyOnWriteArrayList<>();
    /** The connections (their ids, as in {@link Request#connection}) the proxy closed: end of stream where a head could start. */
    public final List<Integer> closedByProxy = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile Function<Request, byte[]> responder = RawBackend::echo;
    /** Requests after whose response the backend closes the connection (a body that runs to the close). */
    private volatile java.util.function.Predicate<Request> closeAfter = r -> false;

    public RawBackend() throws IOException {
        server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        executor.execute(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return received.size();
    }

    public void responder(Function<Request, byte[]> r) {
        responder = r;
    }

    public void closeAfter(java.util.function.Predicate<Request> p) {
        closeAfter = p;
    }

    public static byte[] echo(Request r) {
        String body = r.requestLine().split(" ")[0] + " " + r.path();
        return ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Every byte connection {@code connection} (in accept order) received so far, as ISO-8859-1 text. */
    public String wire(int connection) {
        ByteArrayOutputStream b = received.get(connection);
        synchronized (b) {
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Bytes received that are not part of a request this backend parsed, over all connections. */
    public String leftover() {
        StringBuilder all = new StringBuilder();
        for (ByteArrayOutputStream b : received) {
            synchronized (b) {
                all.append(b.toString(StandardCharsets.ISO_8859_1));
            }
        }
        String rest = all.toString();
        for (Request r : requests) {
            int at = rest.indexOf(r.raw());
            if (at >= 0) {
                rest = rest.substring(0, at) + rest.substring(at + r.raw().length());
            }
        }
        return rest;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                ByteArrayOutputStream log = new ByteArrayOutputStream();
                received.add(log);
                int id = received.size() - 1;
                executor.execute(() -> serve(s, id, log));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id, ByteArrayOutputStream log) {
        try (s) {
            InputStream in = new java.io.BufferedInputStream(new Recording(s.getInputStream(), log));
            OutputStream out = s.getOutputStream();
            while (true) {
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                String head = readHead(in, raw);
                if (head == null) {
                    closedByProxy.add(id);
                    return;
                }
                byte[] body = readBody(in, head, raw);
                Request r = new Request(id, head, body, raw.toString(StandardCharsets.ISO_8859_1));
                requests.add(r);
                byte[] response = responder.apply(r);
                if (response == null) {
                    return;
                }
                out.write(response);
                out.flush();
                if (closeAfter.test(r)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the proxy closed the connection
        }
    }

    private static String readHead(InputStream in, ByteArrayOutputStream raw) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            raw.write(c);
            sb.append((char) c);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                return sb.substring(0, sb.length() - 2);
            }
        }
        return null;
    }

    private static byte[] readBody(InputStream in, String head, ByteArrayOutputStream raw) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
            while (true) {
                String sizeLine = line(in, raw);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line(in, raw).isEmpty()) {
                        // trailers
                    }
                    return body.toByteArray();
                }
                byte[] chunk = in.readNBytes(size);
                raw.write(chunk);
                body.write(chunk);
                line(in, raw);
            }
        }
        int at = lower.indexOf("\r\ncontent-length:");
        if (at >= 0) {
            int end = lower.indexOf("\r\n", at + 2);
            int n = Integer.parseInt(head.substring(at + 17, end).trim());
            byte[] b = in.readNBytes(n);
            raw.write(b);
            return b;
        }
        return new byte[0];
    }

    private static String line(InputStream in, ByteArrayOutputStream raw) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            raw.write(c);
            if (c == '\n') {
                return sb.toString().replaceAll("\r$", "");
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed mid-line");
    }

    /** Copies every byte read into the connection's log. */
    private static final class Recording extends InputStream {
        private final InputStream in;
        private final ByteArrayOutputStream log;

        Recording(InputStream in, ByteArrayOutputStream log) {
            this.in = in;
            this.log = log;
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c >= 0) {
                synchronized (log) {
                    log.write(c);
                }
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                synchronized (log) {
                    log.write(b, off, n);
                }
            }
            return n;
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
        executor.shutdownNow();
    }
}
