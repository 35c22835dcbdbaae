package dev.gatehouse.config;

import java.util.List;
import java.util.Objects;

/**
 * A pool of targets and how to balance across them.
 *
 * @param id            {@code namespace/name}; {@code namespace/name#url} for the upstream of a url service
 * @param source        the Upstream (or GatewayService, for a url service) it was made from
 * @param algorithm     how a target is picked
 * @param hashOn        what a consistent hash is computed over; null unless ConsistentHash
 * @param hashFallback  used when {@code hashOn}'s value is absent; null for none
 * @param targets       static targets and ready endpoints of the referenced Service, sorted
 * @param healthChecks  active and passive checks; null for none
 * @param slowStartMillis a new or returning target's weight ramps up over this time; 0 for none
 * @param stickyCookie    attributes of the cookie the proxy sets when it hashes on a cookie the
 *                        request lacks; null for the defaults
 */
public record Upstream(String id, Source source, Algorithm algorithm, HashOn hashOn, HashOn hashFallback,
                       List<Target> targets, HealthChecks healthChecks, long slowStartMillis, StickyCookie stickyCookie) {
    public Upstream {
        Objects.requireNonNull(id, "id");
        algorithm = Objects.requireNonNullElse(algorithm, Algorithm.ROUND_ROBIN);
        targets = List.copyOf(Objects.requireNonNullElse(targets, List.of()));
    }

    /** An upstream with the default sticky cookie. */
    public Upstream(String id, Source source, Algorithm algorithm, HashOn hashOn, HashOn hashFallback,
                    List<Target> targets, HealthChecks healthChecks, long slowStartMillis) {
        this(id, source, algorithm, hashOn, hashFallback, targets, healthChecks, slowStartMillis, null);
    }

    /**
     * The cookie set for {@code hashOn: Cookie} when a request has none (RFC 6265 §4.1).
     *
     * @param ttlMillis {@code Max-Age}; 0 for a session cookie
     * @param path      {@code Path}; null for {@code /}
     * @param sameSite  {@code Strict}, {@code Lax} or {@code None}; null for {@code Lax}
     * @param secure    whether {@code Secure} is set
     */
    public record StickyCookie(long ttlMillis, String path, String sameSite, boolean secure) {
    }

    public enum Algorithm { ROUND_ROBIN, LEAST_CONNECTIONS, CONSISTENT_HASH, LEAST_LATENCY }

    /**
     * @param source CLIENT_IP, HEADER, COOKIE, CONSUMER, PATH or QUERY_PARAM
     * @param name   header, cookie or query parameter name; null for the others
     */
    public record HashOn(HashSource source, String name) {
    }

    public enum HashSource { CLIENT_IP, HEADER, COOKIE, CONSUMER, PATH, QUERY_PARAM }

    /**
     * One target.
     *
     * @param host   an IP literal or a DNS name
     * @param port   1..65535
     * @param weight 0..65535; 0 drains the target (no new requests)
     */
    public record Target(String host, int port, int weight) {
        public static final int DEFAULT_WEIGHT = 100;
        /** The largest weight; the CRD schema's maximum (a controller test proves them equal). */
        public static final int MAX_WEIGHT = 65_535;
        /** The largest port. */
        public static final int MAX_PORT = 65_535;

        /** {@code host:port}, with brackets around an IPv6 literal. */
        public String address() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * @param failOpen what happens when every target is unhealthy or ejected: null or true
     *                 balances over all of them anyway; false answers 503
     */
    public record HealthChecks(Active active, Passive passive, Boolean failOpen) {
        public HealthChecks(Active active, Passive passive) {
            this(active, passive, null);
        }
    }

    /**
     * @param path               HTTP GET path
     * @param intervalMillis     time between probes of one target
     * @param timeoutMillis      a probe without an answer by then fails
     * @param healthyThreshold   consecutive successes that mark a target healthy
     * @param unhealthyThreshold consecutive failures that mark a target unhealthy
     * @param healthyStatuses    statuses that count as success; empty means 200..399
     */
    public record Active(String path, long intervalMillis, long timeoutMillis, int healthyThreshold,
                         int unhealthyThreshold, List<Integer> healthyStatuses) {
        public Active {
            healthyStatuses = List.copyOf(Objects.requireNonNullElse(healthyStatuses, List.of()));
        }
    }

    /**
     * @param consecutiveFailures failures in a row that eject a target
     * @param ejectionTimeMillis  first ejection time, growing on repeat
     * @param maxEjectionPercent  never more than this share of targets ejected at once
     */
    public record Passive(int consecutiveFailures, long ejectionTimeMillis, int maxEjectionPercent) {
        /** The largest {@code maxEjectionPercent}; the CRD schema's maximum (a controller test proves them equal). */
        public static final int MAX_EJECTION_PERCENT = 100;
    }
}
