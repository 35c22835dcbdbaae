package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * This replica's report of its proxies ({@link ReplicaReport}), kept in a Lease of its own,
 * {@code <lease name>-replica-<identity>} in the lease namespace: labelled
 * {@value #LABEL}={@code <lease name>} so the leader watches exactly these, held by this replica's
 * identity and renewed like a lease (every third of the lease duration), the report in annotation
 * {@value #ANNOTATION}. Written when the report changed, at most once per
 * {@code --replica-report-interval}, and at each renewal whatever the interval; deleted on a clean stop. A replica that dies leaves it
 * behind: the leader ignores it once it is not renewed for its lease duration, and deletes it
 * later ({@link ReplicaReports}). Every replica writes one, the leader too, so a new leader finds
 * the old one's proxies without a gap. Nothing is read from the API server but this Lease, and
 * only after a conflict. One thread of its own.
 *
 * <p>Meters: {@code gatehouse_controller_replica_report_writes_total{result=written|failed}},
 * {@code gatehouse_controller_replica_report_overflows_total} (changes of the report that went over
 * its bounds, {@link ReplicaReport#overflow()}). Logs: {@code event=replica.report_write_failed}
 * (WARN, the first of a run of failures), {@code event=replica.report_written} (INFO after
 * failures, DEBUG otherwise) and {@code event=replica.report_overflow} (INFO, once per change of
 * what went over, not per write).
 */
final class ReplicaLease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaLease.class);
    static final String LABEL = "gatehouse.dev/replica-of";
    static final String ANNOTATION = "gatehouse.dev/proxies";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String leaseName;
    private final String identity;
    private final int durationSeconds;
    private final long intervalNanos;
    private final long renewNanos;
    private final Supplier<ReplicaReport> report;
    private final Counter written;
    private final Counter failed;
    private final Counter overflows;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-replica-report");
        t.setDaemon(true);
        return t;
    });
    // the rest: the report thread only, but for the flags
    private Lease last;
    private String lastJson;
    private long lastWrite = Long.MIN_VALUE / 2;
    private int failures;
    private ReplicaReport.Overflow lastOverflow = ReplicaReport.Overflow.NONE;
    private boolean scheduled;
    private volatile boolean closed;

    ReplicaLease(KubernetesClient client, ControllerConfig config, Supplier<ReplicaReport> report, MeterRegistry registry) {
        this.client = requireNonNull(client, "client");
        this.report = requireNonNull(report, "report");
        this.namespace = config.leaseNamespace();
        this.leaseName = config.leaseName();
        this.identity = config.identity();
        this.name = nameFor(config.leaseName(), config.identity());
        this.durationSeconds = (int) Math.max(1, (config.leaseDuration().toMillis() + 999) / 1000);
        this.intervalNanos = config.replicaReportInterval().toNanos();
        // renewals keep their own pace whatever the interval: a report not renewed within its duration stops counting
        this.renewNanos = Duration.ofSeconds(durationSeconds).toNanos() / 3;
        this.written = Counter.builder("gatehouse.controller.replica.report.writes").tag("result", "written")
                .description("Writes of this replica's proxy report to its Lease").register(registry);
        this.failed = Counter.builder("gatehouse.controller.replica.report.writes").tag("result", "failed")
                .description("Writes of this replica's proxy report the API server refused (tried again at the next "
                        + "change or renewal)").register(registry);
        this.overflows = Counter.builder("gatehouse.controller.replica.report.overflows")
                .description("Changes of this replica's proxy report that went over its bounds (" + ReplicaReport.MAX_HASHES
                        + " content hashes, " + ReplicaReport.MAX_REFUSALS + " refusals, " + ReplicaReport.MAX_MESSAGE_CHARS
                        + " characters a message): what was left out or cut (event=replica.report_overflow)")
                .register(registry);
    }

    /**
     * {@code <lease name>-replica-<identity>}, the identity (the pod name) made a DNS label's
     * characters; when that is not a valid name, 16 hex digits of its SHA-256 instead.
     */
    static String nameFor(String leaseName, String identity) {
        String id = identity.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        String name = leaseName + "-replica-" + id;
        if (id.isEmpty() || name.length() > 253) {
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
                return leaseName + "-replica-" + HexFormat.of().formatHex(d, 0, 8);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        }
        return name;
    }

    String name() {
        return name;
    }

    ReplicaLease start() {
        thread.scheduleWithFixedDelay(() -> write(true), 0, renewNanos, TimeUnit.NANOSECONDS);
        return this;
    }

    /** The proxies changed: the report is written when it differs, no sooner than the interval after the last write. */
    void changed() {
        try {
            thread.execute(this::schedule);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopped
        }
    }

    private void schedule() {
        if (scheduled || closed) {
            return;
        }
        scheduled = true;
        long wait = Math.max(0, lastWrite + intervalNanos - System.nanoTime());
        thread.schedule(() -> {
            scheduled = false;
            write(false);
        }, wait, TimeUnit.NANOSECONDS);
    }

    /**
     * Counts and logs a report over its bounds once per change of what went over (a renewal of the
     * same report, or the same overflow in a changed report, is not logged again).
     */
    private void overflow(ReplicaReport.Overflow o) {
        if (o.equals(lastOverflow)) {
            return;
        }
        lastOverflow = o;
        if (!o.any()) {
            return;
        }
        overflows.increment();
        log.info("event=replica.report_overflow lease={}/{} proxies_unreported={} refusals_left_out={} messages_cut={} "
                        + "max_hashes={} max_refusals={} max_message_chars={} effect=\"the leader counts unreported proxies as "
                        + "not acknowledging (Pending) and shows the refusals it was sent\"", namespace, name,
                o.proxiesUnreported(), o.refusalsLeftOut(), o.messagesCut(), ReplicaReport.MAX_HASHES,
                ReplicaReport.MAX_REFUSALS, ReplicaReport.MAX_MESSAGE_CHARS);
    }

    /** Writes the report when it changed, or {@code renewal} is due; keeps the interval between writes. */
    private void write(boolean renewal) {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        ReplicaReport current = report.get();
        String json = current.toJson();
        overflow(current.overflow());
        boolean renewDue = now - lastWrite >= renewNanos - renewNanos / 10;
        if (json.equals(lastJson) && !(renewal && renewDue)) {
            return;
        }
        if (!(renewal && renewDue) && now - lastWrite < intervalNanos) {
            schedule(); // a renewal tick right after a change's write: the change's turn comes at the interval
            return;
        }
        lastWrite = now;
        try {
            last = put(json);
            lastJson = json;
            written.increment();
            if (failures > 0) {
                log.info("event=replica.report_written lease={} after_failures={}", name, failures);
            } else {
                log.debug("event=replica.report_written lease={} report={}", name, json);
            }
            failures = 0;
        } catch (RuntimeException e) { // never out of a periodic task: that would end the renewals for good
            failed.increment();
            if (failures++ == 0) {
                log.warn("event=replica.report_write_failed lease={}/{} code={} error=\"{}\" fix=\"the controller's Role must "
                        + "allow create, get, update and delete on leases in {}\"", namespace, name,
                        e instanceof KubernetesClientException k ? k.getCode() : -1,
                        String.valueOf(e.getMessage()).replace('"', '\''), namespace);
            }
            last = null; // read it again next time
            lastJson = null;
        }
    }

    private Lease put(String json) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        if (last != null) {
            Lease next = new LeaseBuilder(last).editMetadata().addToAnnotations(ANNOTATION, json).endMetadata()
                    .editSpec().withRenewTime(now).withHolderIdentity(identity).withLeaseDurationSeconds(durationSeconds)
                    .endSpec().build();
            try {
                return client.leases().inNamespace(namespace).resource(next).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404 && e.getCode() != 409) {
                    throw e;
                }
                // deleted by the leader while this replica could not renew it, or written meanwhile: start over
            }
        }
        Lease fresh = new LeaseBuilder().withNewMetadata().withNamespace(namespace).withName(name)
                .addToLabels(LABEL, leaseName).addToAnnotations(ANNOTATION, json).endMetadata()
                .withNewSpec().withHolderIdentity(identity).withLeaseDurationSeconds(durationSeconds).withAcquireTime(now)
                .withRenewTime(now).endSpec().build();
        try {
            return client.leases().inNamespace(namespace).resource(fresh).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
        Lease there = client.leases().inNamespace(namespace).withName(name).get(); // left by an earlier run of this pod
        Lease next = new LeaseBuilder(fresh).editMetadata().withResourceVersion(there == null ? null
                : there.getMetadata().getResourceVersion()).endMetadata().build();
        return client.leases().inNamespace(namespace).resource(next).update();
    }

    /** Stops writing; with {@code clean}, deletes the Lease so the leader stops counting this replica at once. */
    void close(boolean clean) {
        closed = true;
        thread.shutdown(); // a write under way ends (interrupting it would log a failure on every stop); none starts
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (!clean) {
            return;
        }
        try {
            client.leases().inNamespace(namespace).withName(name).delete();
            log.info("event=replica.report_deleted lease={}/{}", namespace, name);
        } catch (RuntimeException e) { // the API server is gone: the leader ignores the Lease once it expires
            log.warn("event=replica.report_delete_failed lease={}/{} error=\"{}\" fix=\"none needed: the leader stops counting "
                    + "this replica's proxies {} s after its last renewal\"", namespace, name,
                    String.valueOf(e.getMessage()).replace('"', '\''), durationSeconds);
        }
    }

    @Override
    public void close() {
        close(true);
    }
}
