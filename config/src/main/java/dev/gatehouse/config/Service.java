package dev.gatehouse.config;

import java.util.Objects;

/**
 * Where matched requests go.
 *
 * @param id       {@code namespace/name}
 * @param source   the GatewayService it was made from
 * @param upstream id of the upstream whose targets receive the traffic; a {@code url} service
 *                 gets an upstream of its own with the URL's host and port as its one target
 * @param protocol how the targets are spoken to: HTTP/1.1 ({@link Protocol#HTTP}, over TLS
 *                 {@link Protocol#HTTPS}) or HTTP/2 ({@link Protocol#H2C} cleartext, {@link Protocol#GRPC}
 *                 cleartext and {@link Protocol#GRPCS} over TLS, the two with gRPC error mapping)
 * @param path     prefix added to the upstream path ({@code /} when none); never ends with {@code /}
 *                 unless it is {@code /}
 * @param hostHeader the Host sent upstream when the route does not preserve the client's; null
 *                 means the target's {@code host:port}
 * @param retries  how many more targets to try after the first; never reuses a tried target
 * @param timeouts connect, read and write timeouts
 * @param retryBudget how many retries may be in flight at once for this service; {@link
 *                 RetryBudget#DEFAULT} when null (also for a snapshot from a controller that
 *                 predates the field)
 */
public record Service(String id, Source source, String upstream, Protocol protocol, String path,
                      String hostHeader, int retries, Timeouts timeouts, RetryBudget retryBudget) {
    public static final int DEFAULT_RETRIES = 5;

    public Service {
        Objects.requireNonNull(id, "id");
        protocol = Objects.requireNonNullElse(protocol, Protocol.HTTP);
        path = path == null || path.isEmpty() ? "/" : path;
        timeouts = Objects.requireNonNullElse(timeouts, Timeouts.DEFAULT);
        retryBudget = Objects.requireNonNullElse(retryBudget, RetryBudget.DEFAULT);
    }

    /** A service with the default retry budget. */
    public Service(String id, Source source, String upstream, Protocol protocol, String path,
                   String hostHeader, int retries, Timeouts timeouts) {
        this(id, source, upstream, protocol, path, hostHeader, retries, timeouts, null);
    }

    public enum Protocol {
        HTTP, HTTPS, H2C, GRPC, GRPCS;

        /** True when the targets are reached over TLS. */
        public boolean tls() {
            return this == HTTPS || this == GRPCS;
        }

        /** True when the targets speak HTTP/2 (one multiplexed connection per event loop and target). */
        public boolean http2() {
            return this == H2C || this == GRPC || this == GRPCS;
        }

        /** True when the gateway's own errors are answered as gRPC statuses. */
        public boolean grpc() {
            return this == GRPC || this == GRPCS;
        }
    }

    /**
     * @param connectMillis time to establish a TCP (and TLS) connection to a target
     * @param readMillis    longest silence while waiting for the target's response bytes
     * @param writeMillis   longest time a write towards the target may stay pending
     */
    public record Timeouts(long connectMillis, long readMillis, long writeMillis) {
        public static final Timeouts DEFAULT = new Timeouts(60_000, 60_000, 60_000);
    }

    /**
     * The cap on retries in flight for one service, as Envoy's {@code retry_budget}: a retry is
     * admitted only while, with it, the retries in flight stay at or below
     * {@code max(minConcurrency, percent% of the attempts in flight)} (attempts: first tries and
     * retries on the service's targets, the new retry included). A refused retry leaves the
     * request with the failed attempt's answer (502 or 504). Independent of {@code retries},
     * which caps the attempts of one request.
     *
     * @param percent        0..100: the share of attempts in flight that may be retries (Envoy's
     *                       {@code budget_percent}); 100 means no cap beyond {@code retries}
     * @param minConcurrency >= 0: retries always admitted while fewer are in flight, however
     *                       little traffic there is (Envoy's {@code min_retry_concurrency})
     */
    public record RetryBudget(int percent, int minConcurrency) {
        /** The largest {@code percent}; the CRD schema's maximum (a controller test proves them equal). */
        public static final int MAX_PERCENT = 100;
        public static final int DEFAULT_PERCENT = 20;
        public static final int DEFAULT_MIN_CONCURRENCY = 3;
        public static final RetryBudget DEFAULT = new RetryBudget(DEFAULT_PERCENT, DEFAULT_MIN_CONCURRENCY);
    }
}
