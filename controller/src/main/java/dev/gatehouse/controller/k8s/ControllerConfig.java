package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.GatewaySelection;

import java.time.Duration;
import java.util.List;

/**
 * @param namespaces     namespaces to watch; empty: all
 * @param leaseNamespace namespace of the leader-election Lease
 * @param leaseName      name of the Lease
 * @param identity       this replica's identity in the Lease (pod name)
 * @param leaseDuration  how long a lease lasts without renewal
 * @param renewDeadline  the leader gives up when it cannot renew within this
 * @param retryPeriod    how often candidates try
 * @param ingress        which Ingresses are served and what their status shows
 * @param defaultCertificate the {@code --default-certificate-secret}, {@code namespace/name}; null for none
 * @param gateway        which GatewayClasses are served ({@code --gateway-controller-name}) and the proxy
 *                       Service's ports their listeners are matched to ({@code --gateway-http-port},
 *                       {@code --gateway-https-port});
 *                       {@link GatewaySelection#OFF}: no Gateway API object is read or written
 * @param statusWrites   how fast the leader writes status ({@code --status-writes-per-second},
 *                       {@code --status-quiet-after-publish}, {@code --status-max-delay}) and how long the
 *                       start-up pass waits for the proxies' first acknowledgement ({@code --status-startup-hold})
 * @param deletedNamesRemembered deleted names the kept state remembers per informer, against replayed
 *                       events ({@code --deleted-names-remembered}; 0: the default,
 *                       {@link dev.gatehouse.controller.translate.ClusterStore#DEFAULT_TOMBSTONES})
 * @param replicaReportInterval the least time between two writes of this replica's report of its
 *                       proxies to its Lease ({@code --replica-report-interval}; null: {@link #DEFAULT_REPORT_INTERVAL})
 */
public record ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                               Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress,
                               String defaultCertificate, GatewaySelection gateway, StatusRate statusWrites,
                               int deletedNamesRemembered, Duration replicaReportInterval) {
    /**
     * One write a second at most per replica: the leader sees a remote proxy's ACK or NACK within
     * about a second, and a rollout's stream of ACKs costs each replica one Lease write a second.
     */
    public static final Duration DEFAULT_REPORT_INTERVAL = Duration.ofSeconds(1);
    /** The longest interval the flag takes: beyond it Programmed lags a remote proxy too far. */
    public static final Duration MAX_REPORT_INTERVAL = Duration.ofMinutes(1);

    /**
     * The status writes' pace: {@code perSecond} on average, up to {@code burst} at once, and none
     * while the publish path is busy or for {@code quietAfterPublish} after it ran (StatusUpdater).
     * The default, 50 a second with a burst of 100, keeps a full status pass over 37 000 objects
     * (the first start) from crowding out the API server, and is far above what a change needs;
     * the default quiet, {@link #DEFAULT_QUIET}, covers the proxies' apply of a route delta at
     * full size (docs/scale.md), which shares the controller's cores in small installs.
     */
    public record StatusRate(int perSecond, int burst, Duration quietAfterPublish, Duration maxDelay, Duration startupHold) {
        /** The default pause of status writes after each run of the publish path ({@code --status-quiet-after-publish}). */
        public static final Duration DEFAULT_QUIET = Duration.ofMillis(100);
        /** The largest pause the flag takes: a longer one starves status under a steady stream of changes. */
        public static final Duration MAX_QUIET = Duration.ofSeconds(10);
        /**
         * How far behind the latest change status may be held by the pauses for the publish path
         * ({@code --status-max-delay}): a rollout keeps that path busy for minutes, and
         * {@code kubectl get} would show the counts of before it all along.
         */
        public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(3);
        /** The largest bound the flag takes. */
        public static final Duration MAX_MAX_DELAY = Duration.ofMinutes(10);
        /**
         * The longest the start-up status pass waits for every connected proxy to acknowledge the
         * first snapshot ({@code --status-startup-hold}, {@link StartupHold}): the command's default.
         * At full size on 2 cores the proxies apply the first snapshot 15 s after it is published
         * (docs/scale.md); the bound leaves room for a slower hour.
         */
        public static final Duration DEFAULT_STARTUP_HOLD = Duration.ofSeconds(30);
        /** The largest hold the flag takes: status held longer would look like a controller that does not work. */
        public static final Duration MAX_STARTUP_HOLD = Duration.ofMinutes(10);
        /** No start-up hold: a controller embedded without the command (tests, tools) writes status at once. */
        public static final StatusRate DEFAULT = new StatusRate(50, 100, DEFAULT_QUIET, DEFAULT_MAX_DELAY, Duration.ZERO);

        public StatusRate {
            if (perSecond < 1 || perSecond > 10_000) {
                throw new IllegalArgumentException("--status-writes-per-second: " + perSecond + " (expected: 1..10000)");
            }
            if (burst < 1) {
                throw new IllegalArgumentException("status write burst: " + burst + " (expected: >= 1)");
            }
            quietAfterPublish = java.util.Objects.requireNonNullElse(quietAfterPublish, DEFAULT_QUIET);
            if (quietAfterPublish.isNegative() || quietAfterPublish.compareTo(MAX_QUIET) > 0) {
                throw new IllegalArgumentException("--status-quiet-after-publish: " + quietAfterPublish.toMillis()
                        + "ms (expected: 0ms..10s)");
            }
            maxDelay = java.util.Objects.requireNonNullElse(maxDelay, DEFAULT_MAX_DELAY);
            if (maxDelay.compareTo(Duration.ofMillis(100)) < 0 || maxDelay.compareTo(MAX_MAX_DELAY) > 0) {
                throw new IllegalArgumentException("--status-max-delay: " + maxDelay.toMillis() + "ms (expected: 100ms..10m)");
            }
            startupHold = java.util.Objects.requireNonNullElse(startupHold, Duration.ZERO);
            if (startupHold.isNegative() || startupHold.compareTo(MAX_STARTUP_HOLD) > 0) {
                throw new IllegalArgumentException("--status-startup-hold: " + startupHold.toMillis()
                        + "ms (expected: 0ms..10m; 0ms: no hold)");
            }
        }

        /** No start-up hold. */
        public StatusRate(int perSecond, int burst, Duration quietAfterPublish, Duration maxDelay) {
            this(perSecond, burst, quietAfterPublish, maxDelay, Duration.ZERO);
        }

        /** With the default bound on how far behind status may be held. */
        public StatusRate(int perSecond, int burst, Duration quietAfterPublish) {
            this(perSecond, burst, quietAfterPublish, DEFAULT_MAX_DELAY);
        }

        /** With the default quiet after a publish. */
        public StatusRate(int perSecond, int burst) {
            this(perSecond, burst, DEFAULT_QUIET);
        }

        /** {@code perSecond} a second, with a burst of twice that. */
        public static StatusRate of(int perSecond) {
            return new StatusRate(perSecond, Math.max(1, perSecond * 2));
        }

        /** With {@code quiet} as the pause after each run of the publish path ({@code --status-quiet-after-publish}). */
        public StatusRate withQuietAfterPublish(Duration quiet) {
            return new StatusRate(perSecond, burst, quiet, maxDelay, startupHold);
        }

        /** With {@code maxDelay} as the bound on how far behind status may be held ({@code --status-max-delay}). */
        public StatusRate withMaxDelay(Duration maxDelay) {
            return new StatusRate(perSecond, burst, quietAfterPublish, maxDelay, startupHold);
        }

        /** With {@code hold} as the bound on the start-up pass's wait for the proxies ({@code --status-startup-hold}). */
        public StatusRate withStartupHold(Duration hold) {
            return new StatusRate(perSecond, burst, quietAfterPublish, maxDelay, hold);
        }
    }

    public ControllerConfig {
        replicaReportInterval = java.util.Objects.requireNonNullElse(replicaReportInterval, DEFAULT_REPORT_INTERVAL);
        if (replicaReportInterval.compareTo(Duration.ofMillis(10)) < 0 || replicaReportInterval.compareTo(MAX_REPORT_INTERVAL) > 0) {
            throw new IllegalArgumentException("--replica-report-interval: " + replicaReportInterval.toMillis()
                    + "ms (expected: 10ms..1m)");
        }
        statusWrites = java.util.Objects.requireNonNullElse(statusWrites, StatusRate.DEFAULT);
        if (deletedNamesRemembered == 0) {
            deletedNamesRemembered = dev.gatehouse.controller.translate.ClusterStore.DEFAULT_TOMBSTONES;
        }
        if (deletedNamesRemembered < 1 || deletedNamesRemembered > dev.gatehouse.controller.translate.ClusterStore.MAX_TOMBSTONES) {
            throw new IllegalArgumentException("--deleted-names-remembered: " + deletedNamesRemembered + " (expected: 1.."
                    + dev.gatehouse.controller.translate.ClusterStore.MAX_TOMBSTONES + ")");
        }
        namespaces = List.copyOf(namespaces);
        ingress = java.util.Objects.requireNonNullElse(ingress, IngressConfig.DEFAULT);
        gateway = java.util.Objects.requireNonNullElse(gateway, GatewaySelection.DEFAULT);
        if (defaultCertificate != null) {
            dev.gatehouse.controller.translate.TlsSettings.checkSecretRef(defaultCertificate);
        }
    }

    /** The default report interval. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress,
                            String defaultCertificate, GatewaySelection gateway, StatusRate statusWrites, int deletedNamesRemembered) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, ingress,
                defaultCertificate, gateway, statusWrites, deletedNamesRemembered, null);
    }

    /** The default number of deleted names remembered. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress,
                            String defaultCertificate, GatewaySelection gateway, StatusRate statusWrites) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, ingress,
                defaultCertificate, gateway, statusWrites, 0);
    }

    /** The default status write rate. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress,
                            String defaultCertificate, GatewaySelection gateway) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, ingress,
                defaultCertificate, gateway, null);
    }

    /** No default certificate, the default Gateway API settings. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, ingress, null, null);
    }

    /** With the default Ingress settings: class {@code gatehouse}, no published address. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, IngressConfig.DEFAULT);
    }

    public static ControllerConfig defaults(List<String> namespaces, String leaseNamespace, String identity) {
        return new ControllerConfig(namespaces, leaseNamespace, "gatehouse-controller", identity,
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    public ControllerConfig withIngress(IngressConfig ingress) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway, statusWrites, deletedNamesRemembered, replicaReportInterval);
    }

    /** With the proxy-wide default certificate, {@code namespace/name} of a kubernetes.io/tls Secret; null for none. */
    public ControllerConfig withDefaultCertificate(String namespaceAndName) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, namespaceAndName, gateway, statusWrites, deletedNamesRemembered, replicaReportInterval);
    }

    public ControllerConfig withGateway(GatewaySelection gateway) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway, statusWrites, deletedNamesRemembered, replicaReportInterval);
    }

    /** With {@code n} deleted names remembered per informer ({@code --deleted-names-remembered}). */
    public ControllerConfig withDeletedNamesRemembered(int n) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway, statusWrites, n, replicaReportInterval);
    }

    /** With the status writes' rate limit ({@code --status-writes-per-second}). */
    public ControllerConfig withStatusWrites(StatusRate rate) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway, rate, deletedNamesRemembered, replicaReportInterval);
    }

    /** With the least time between two writes of this replica's report ({@code --replica-report-interval}). */
    public ControllerConfig withReplicaReportInterval(Duration interval) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway, statusWrites, deletedNamesRemembered, interval);
    }
}
