package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Snapshot building blocks for tests. Everything lives in namespace {@code default}. */
public final class Fixtures {
    private Fixtures() {
    }

    /**
     * One event loop: every request of a test shares one upstream pool, so a connection a bad
     * exchange would leave poisoned is the one the next request is handed.
     */
    public static ProxyConfig oneLoopConfig() {
        return new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(5)).withTransport(transport());
    }

    public static ProxyConfig config() {
        return new ProxyConfig("127.0.0.1", 0, 2, Duration.ofSeconds(5)).withTransport(transport());
    }

    /**
     * The transport the proxies of {@link #config()} run on: {@code -Dgatehouse.transport} (the
     * epoll execution of the proxy's build sets it for a chosen set of socket tests), else
     * auto. A transport this host cannot run skips the test (an assumption, reported as skipped).
     */
    public static TransportChoice transport() {
        TransportChoice choice = TransportChoice.parse(System.getProperty("gatehouse.transport", "auto"));
        assumeAvailable(choice);
        return choice;
    }

    /** Skips the test (an assumption, reported as skipped) when this host cannot run {@code choice}. */
    public static void assumeAvailable(TransportChoice choice) {
        if (choice == TransportChoice.IO_URING) {
            String unavailable = Transport.ioUringUnavailable();
            assumeTrue(unavailable == null, () -> "io_uring is not available here: " + unavailable);
        }
        if (choice == TransportChoice.EPOLL) {
            assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "epoll is not available here");
        }
    }

    /** The transport {@code choice} names, for a test run on each; one this host cannot run skips the test. */
    public static Transport available(TransportChoice choice) {
        assumeAvailable(choice);
        return Transport.of(choice);
    }

    public static Source source(String kind, String id) {
        String[] parts = id.split("/");
        return new Source(kind, parts[0], parts[1], "uid-" + parts[0] + "-" + parts[1], 1);
    }

    public static Upstream upstream(String id, int... ports) {
        List<Upstream.Target> targets = new ArrayList<>();
        for (int p : ports) {
            targets.add(new Upstream.Target("127.0.0.1", p, Upstream.Target.DEFAULT_WEIGHT));
        }
        return upstream(id, targets);
    }

    public static Upstream upstream(String id, List<Upstream.Target> targets) {
        return new Upstream(id, source("Upstream", id), Upstream.Algorithm.ROUND_ROBIN, null, null, targets, null, 0);
    }

    public static Service service(String id, String upstream) {
        return service(id, upstream, "/", Service.DEFAULT_RETRIES, Service.Timeouts.DEFAULT);
    }

    public static Service service(String id, String upstream, String path, int retries, Service.Timeouts timeouts) {
        return new Service(id, source("GatewayService", id), upstream, Service.Protocol.HTTP, path, null, retries, timeouts);
    }

    public static Consumer consumer(String id, String username, String key) {
        return new Consumer(id, source("Consumer", "default/" + username), username, null,
                List.of(new Consumer.Credential("cred-" + username, KeyDigest.of(key))));
    }

    public static RouteBuilder route(String id, String service) {
        return new RouteBuilder(id, service);
    }

    public static Snapshot snapshot(long version, List<Service> services, List<Route> routes, List<Upstream> upstreams,
                                    List<Consumer> consumers) {
        return new Snapshot(version, services, routes, upstreams, consumers);
    }

    /** A route with Kong's defaults (stripPath true). */
    public static final class RouteBuilder {
        private final String id;
        private final String service;
        private List<String> hosts = List.of();
        private List<String> paths = List.of();
        private List<String> methods = List.of();
        private final Map<String, List<String>> headers = new LinkedHashMap<>();
        private boolean stripPath = true;
        private boolean preserveHost;
        private int priority;
        private Route.KeyAuth keyAuth;
        private Long maxBodySize;
        private boolean allowEncodedSlashes;
        private boolean httpsRedirect;
        private Long websocketIdleTimeoutMillis;
        private final List<Route.QueryMatch> queryParams = new ArrayList<>();
        private dev.gatehouse.config.RouteFilters filters;
        private Integer directStatus;
        private Route.Share directShare;

        RouteBuilder(String id, String service) {
            this.id = id;
            this.service = service;
        }

        public RouteBuilder hosts(String... h) {
            hosts = List.of(h);
            return this;
        }

        public RouteBuilder paths(String... p) {
            paths = List.of(p);
            return this;
        }

        public RouteBuilder methods(String... m) {
            methods = List.of(m);
            return this;
        }

        public RouteBuilder header(String name, String... values) {
            headers.put(name, List.of(values));
            return this;
        }

        public RouteBuilder stripPath(boolean s) {
            stripPath = s;
            return this;
        }

        public RouteBuilder preserveHost(boolean p) {
            preserveHost = p;
            return this;
        }

        public RouteBuilder priority(int p) {
            priority = p;
            return this;
        }

        public RouteBuilder keyAuth(Route.KeyAuth k) {
            keyAuth = k;
            return this;
        }

        public RouteBuilder maxBodySize(long bytes) {
            maxBodySize = bytes;
            return this;
        }

        public RouteBuilder allowEncodedSlashes(boolean allow) {
            allowEncodedSlashes = allow;
            return this;
        }

        public RouteBuilder httpsRedirect(boolean redirect) {
            httpsRedirect = redirect;
            return this;
        }

        public RouteBuilder websocketIdleTimeout(Duration d) {
            websocketIdleTimeoutMillis = d.toMillis();
            return this;
        }

        public RouteBuilder query(String name, String value, boolean regex) {
            queryParams.add(new Route.QueryMatch(name, value, regex));
            return this;
        }

        public RouteBuilder filters(dev.gatehouse.config.RouteFilters f) {
            filters = f;
            return this;
        }

        public RouteBuilder directStatus(int status) {
            directStatus = status;
            return this;
        }

        public RouteBuilder directShare(int status, long part, long of) {
            directStatus = status;
            directShare = new Route.Share(part, of);
            return this;
        }

        public Route build() {
            return new Route(id, source("GatewayRoute", id), service, hosts, paths, methods, headers, stripPath,
                    preserveHost, priority, keyAuth, maxBodySize, allowEncodedSlashes, httpsRedirect, websocketIdleTimeoutMillis,
                    queryParams, filters, directStatus, directShare);
        }
    }

    /** The JSON lines of an access-log file, blank lines skipped; read once the proxy has written them. */
    static List<com.fasterxml.jackson.databind.JsonNode> accessLog(java.nio.file.Path file) throws java.io.IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(file)) {
            if (!line.isBlank()) {
                out.add(json.readTree(line));
            }
        }
        return out;
    }
}
