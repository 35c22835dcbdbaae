package dev.gatehouse.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A replica like the walkthrough's OpenResty services: {@code /} answers 200 "Hello from my
 * service"; {@code /profile} answers 401 "Unauthorized" without {@code X-Consumer-ID}, else the
 * JSON {@code {"id": <X-Consumer-ID>, "username": "moesif", "description": "Advanced API Analytics platform"}}.
 * Every answer names the replica in {@code X-Served-By}, so the alternation is visible.
 */
public final class DemoBackend implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final String name;

    private DemoBackend(HttpServer server, ExecutorService executor, String name) {
        this.server = server;
        this.executor = executor;
        this.name = name;
    }

    /** Starts a replica on {@code address:port} (port 0: any free port). */
    public static DemoBackend start(String address, int port, String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 128);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "demo-" + name);
            t.setDaemon(true);
            return t;
        });
        DemoBackend backend = new DemoBackend(server, executor, name);
        server.createContext("/", backend::handle);
        server.setExecutor(executor);
        server.start();
        return backend;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String name() {
        return name;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            String path = ex.getRequestURI().getPath();
            ex.getResponseHeaders().set("X-Served-By", name);
            if (path.equals("/profile") || path.startsWith("/profile/")) {
                String consumer = ex.getRequestHeaders().getFirst("X-Consumer-ID");
                if (consumer == null) {
                    send(ex, 401, "text/plain", "Unauthorized\n");
                    return;
                }
                send(ex, 200, "application/json", "{\"id\":\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(consumer))
                        + "\",\"username\":\"moesif\",\"description\":\"Advanced API Analytics platform\"}\n");
                return;
            }
            send(ex, 200, "text/plain", "Hello from my service");
        }
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
