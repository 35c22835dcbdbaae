package dev.gatehouse.proxy;

import java.io.BufferedInputStream;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP/1.1 target whose answer to each request is scripted by its path,
 * {@code /<fault>/<token>}: every answer it means for a request carries the request's token
 * ({@code X-Echo} and the body), so a client can tell its own answer from another's. The faults
 * are those a target connection can show a proxy ({@link Fault}); a connection that survives one
 * goes on serving the requests that follow on it.
 */
final class ScriptedTarget implements AutoCloseable {
    enum Fault {
        /** 200 with the token as the body. */
        OK,
        /** Part of a head ({@code X-Echo} included), then a reset. */
        HEAD_CUT,
        /** A head with {@code Content-Length} 64 above the body, the token, then a FIN. */
        BODY_CUT,
        /** A chunked head, a first chunk (the token), part of a second, then a reset. */
        CHUNK_CUT,
        /** The answer, and in the same write a whole second response (a token of {@code stray}). */
        EXTRA_RESPONSE,
        /** The answer, and in the same write the start of a second head. */
        EXTRA_PARTIAL,
        /**
         * No answer until the next request arrives on the connection: then this answer first,
         * then that request's. A proxy that reuses a connection with an answer outstanding (after
         * a read timeout, or after the client went away) hands the next request this answer.
         */
        LATE
    }

    /** What the target read: the connection's number (in accept order), the method, the path. */
    record Seen(int connection, String method, String path) {
    }

    private final ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();

    ScriptedTarget() throws IOException {
        threads.execute(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    static String ok(String token) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + token.length() + "\r\nX-Echo: " + token + "\r\n\r\n" + token;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int id = connections.incrementAndGet();
                threads.execute(() -> serve(s, id));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String owed = null; // a LATE answer, written before the next one
            for (String head = head(in); head != null; head = head(in)) {
                String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
                seen.add(new Seen(id, line[0], line[1]));
                String[] parts = line[1].split("/");
                Fault fault = Fault.valueOf(parts[1].toUpperCase(Locale.ROOT));
                String token = parts[2];
                String answer = line[0].equals("HEAD") ? "HTTP/1.1 200 OK\r\nContent-Length: " + token.length() + "\r\nX-Echo: " + token
                        + "\r\n\r\n" : ok(token);
                String before = owed == null ? "" : owed;
                owed = null;
                switch (fault) {
                    case OK -> write(out, before + answer);
                    case HEAD_CUT -> {
                        write(out, before + "HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nContent-Le");
                        reset(s);
                        return;
                    }
                    case BODY_CUT -> {
                        write(out, before + "HTTP/1.1 200 OK\r\nContent-Length: " + (token.length() + 64) + "\r\nX-Echo: " + token
                                + "\r\n\r\n" + token);
                        return;
                    }
                    case CHUNK_CUT -> {
                        write(out, before + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Echo: " + token + "\r\n\r\n"
                                + Integer.toHexString(token.length()) + "\r\n" + token + "\r\n40\r\npart");
                        reset(s);
                        return;
                    }
                    case EXTRA_RESPONSE -> write(out, before + answer + ok("stray"));
                    case EXTRA_PARTIAL -> write(out, before + answer + "HTTP/1.1 200 OK\r\nX-Echo: stray\r\nContent-Le");
                    case LATE -> {
                        write(out, before);
                        owed = answer;
                    }
                }
            }
        } catch (IOException e) {
            // the proxy closed the connection
        } finally {
            sockets.remove(s);
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    /** A request head up to its blank line (these requests have no body), or null at the end of the stream. */
    private static String head(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0; c = in.read()) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.lastIndexOf("\r\n\r\n") == sb.length() - 4) {
                return sb.toString();
            }
        }
        return null;
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
        threads.shutdownNow();
    }
}
