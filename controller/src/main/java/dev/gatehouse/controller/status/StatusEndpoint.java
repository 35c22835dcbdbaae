package dev.gatehouse.controller.status;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The controller's status port: {@code /healthz} (the process is alive), {@code /readyz}
 * (caches synced and a snapshot published) and {@code /metrics} (Prometheus text format).
 * Read-only; no secrets. Low traffic, so the JDK's HTTP server does.
 */
public final class StatusEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusEndpoint.class);
    private final HttpServer server;
    private final ExecutorService executor;

    private StatusEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    public static StatusEndpoint start(String address, int port, BooleanSupplier ready, PrometheusMeterRegistry registry)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 64);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "gatehouse-status");
            t.setDaemon(true);
            return t;
        });
        server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "ok\n"));
        server.createContext("/readyz", ex -> {
            boolean ok = ready.getAsBoolean();
            reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/", ex -> reply(ex, 404, "text/plain", "not found (try /healthz, /readyz, /metrics)\n"));
        server.setExecutor(executor);
        server.start();
        // the bound port, as the proxy's status server says it: with --status-port 0 the only place it shows
        LOG.info("event=status.listening addresses={} port={}", address, server.getAddress().getPort());
        return new StatusEndpoint(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                status = 405;
                body = "only GET\n";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, "HEAD".equals(ex.getRequestMethod()) ? -1 : bytes.length);
            if (!"HEAD".equals(ex.getRequestMethod())) {
                ex.getResponseBody().write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
