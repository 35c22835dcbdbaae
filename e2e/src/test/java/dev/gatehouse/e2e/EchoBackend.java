package dev.gatehouse.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A backend that says what it received: every answer is 200 with the body
 * {@code <name> <path?query> host=<Host>}, so a test sees which backend a request reached, with
 * which path and which Host; {@link #startEchoingHeaders} adds a line {@code name: v1,v2} per request
 * header (names lower case, sorted), as the Gateway API conformance suite's echo server reports them.
 * A request header {@code X-Echo-Set-Header: Name:value,Other:value} makes it set those response
 * headers (the suite's way to test response filters). On loopback, an ephemeral port.
 */
final class EchoBackend implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final String name;
    private final boolean echoHeaders;
    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    private EchoBackend(HttpServer server, ExecutorService executor, String name, boolean echoHeaders) {
        this.server = server;
        this.executor = executor;
        this.name = name;
        this.echoHeaders = echoHeaders;
    }

    static EchoBackend start(String name) throws IOException {
        return start(name, false);
    }

    static EchoBackend startEchoingHeaders(String name) throws IOException {
        return start(name, true);
    }

    private static EchoBackend start(String name, boolean echoHeaders) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "echo-" + name);
            t.setDaemon(true);
            return t;
        });
        EchoBackend b = new EchoBackend(server, executor, name, echoHeaders);
        server.createContext("/", b::handle);
        server.setExecutor(executor);
        server.start();
        return b;
    }

    int port() {
        return server.getAddress().getPort();
    }

    String name() {
        return name;
    }

    /** How many requests reached this backend so far. */
    int requests() {
        return requests.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex; InputStream in = ex.getRequestBody()) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            String query = ex.getRequestURI().getRawQuery();
            StringBuilder text = new StringBuilder(name + " " + ex.getRequestURI().getRawPath() + (query == null ? "" : "?" + query)
                    + " host=" + ex.getRequestHeaders().getFirst("Host"));
            if (echoHeaders) {
                new java.util.TreeMap<>(ex.getRequestHeaders()).forEach((k, v) -> text.append('\n')
                        .append(k.toLowerCase(java.util.Locale.ROOT)).append(": ").append(String.join(",", v)));
            }
            String set = ex.getRequestHeaders().getFirst("X-Echo-Set-Header");
            if (set != null) {
                for (String pair : set.split(",")) {
                    int colon = pair.indexOf(':');
                    ex.getResponseHeaders().add(pair.substring(0, colon).trim(), pair.substring(colon + 1).trim());
                }
            }
            String body = text.toString();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.getResponseHeaders().set("X-Served-By", name);
            ex.sendResponseHeaders(200, bytes.length);
            ex.getResponseBody().write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
