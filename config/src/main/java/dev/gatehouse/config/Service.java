package dev.gatehouse.config;

import java.util.Objects;

/**
 * Where matched requests go.
 *
 * @param id       {@code namespace/name}
 * @param source   the GatewayService it was made from
 * @param upstream id of the upstream whose targets receive the traffic; a {@code url} service
 *                 gets an upstream of its own with the URL's host and port as its one target
 * @param protocol {@link Protocol#HTTP} or {@link Protocol#HTTPS} towards the targets
 * @param path     prefix added to the upstream path ({@code /} when none); never ends with {@code /}
 *                 unless it is {@code /}
 * @param hostHeader the Host sent upstream when the route does not preserve the client's; null
 *                 means the target's {@code host:port}
 * @param retries  how many more targets to try after the first; never reuses a tried target
 * @param timeouts connect, read and write timeouts
 */
public record Service(String id, Source source, String upstream, Protocol protocol, String path,
                      String hostHeader, int retries, Timeouts timeouts) {
    public static final int DEFAULT_RETRIES = 5;

    public Service {
        Objects.requireNonNull(id, "id");
        protocol = Objects.requireNonNullElse(protocol, Protocol.HTTP);
        path = path == null || path.isEmpty() ? "/" : path;
        timeouts = Objects.requireNonNullElse(timeouts, Timeouts.DEFAULT);
    }

    public enum Protocol { HTTP, HTTPS }

    /**
     * @param connectMillis time to establish a TCP (and TLS) connection to a target
     * @param readMillis    longest silence while waiting for the target's response bytes
     * @param writeMillis   longest time a write towards the target may stay pending
     */
    public record Timeouts(long connectMillis, long readMillis, long writeMillis) {
        public static final Timeouts DEFAULT = new Timeouts(60_000, 60_000, 60_000);
    }
}
