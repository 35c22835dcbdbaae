package dev.gatehouse.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend (JDK HttpServer on 127.0.0.1, ephemeral port) that records every request
 * it read completely and answers with its name in {@code X-Backend}. By default it echoes the
 * method, path and query it got as the body.
 */
public final class Backend implements AutoCloseable {
    /** One request as the backend read it; header names lower case; the port the proxy connected from. */
    public record Seen(String method, String uri, Map<String, List<String>> headers, long bodyBytes, int remotePort) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }
    }

    public interface Handler {
        void handle(HttpExchange ex, Seen seen) throws IOException;
    }

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    public final AtomicInteger started = new AtomicInteger();
    private volatile Handler handler;

    public Backend(String name) throws IOException {
        this(name, null);
    }

    public Backend(String name, Handler handler) throws IOException {
        this.name = name;
        this.handler = handler == null ? Backend::echo : handler;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
    }

    /** A loopback port nothing listens on any more (a backend started and closed): a target that refuses. */
    public static int deadPort() throws IOException {
        Backend gone = new Backend("gone");
        int port = gone.port();
        gone.close();
        return port;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String name() {
        return name;
    }

    public void handler(Handler h) {
        handler = h;
    }

    private void serve(HttpExchange ex) throws IOException {
        started.incrementAndGet();
        try (ex) {
            long n = 0;
            try (InputStream body = ex.getRequestBody()) {
                byte[] buf = new byte[65536];
                for (int r = body.read(buf); r >= 0; r = body.read(buf)) {
                    n += r;
                }
            }
            Map<String, List<String>> headers = new java.util.TreeMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            Seen s = new Seen(ex.getRequestMethod(), ex.getRequestURI().toString(), headers, n, ex.getRemoteAddress().getPort());
            seen.add(s);
            ex.getResponseHeaders().set("X-Backend", name);
            handler.handle(ex, s);
        }
    }

    public static void echo(HttpExchange ex, Seen s) throws IOException {
        respond(ex, 200, s.method() + " " + s.uri());
    }

    public static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
