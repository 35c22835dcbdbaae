package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The other replicas' reports of their proxies, as the leader reads them: an informer on the
 * Leases labelled {@value ReplicaLease#LABEL}={@code <lease name>} in the lease namespace, started
 * when this replica leads and stopped when it stops (the other replicas read nothing). This
 * replica's own Lease is passed over: its proxies are counted from its channel directly.
 *
 * <p>A report counts while its Lease is renewed: until its lease duration has passed on this
 * replica's clock since the leader saw it renewed, or, for a Lease first seen already old (a
 * replica killed before this one led), since its {@code renewTime}. Then it is expired (logged
 * {@code event=replica.expired}) and Programmed is decided without that replica's proxies; a
 * renewal brings it back. A Lease expired for {@value #FORGET_AFTER_DURATIONS} lease durations is
 * deleted (a killed pod's name never comes back).
 *
 * <p>Meters: {@code gatehouse_controller_replica_reports} (reports counted now) and
 * {@code gatehouse_controller_replica_proxies} (their synced proxies). Logs: {@code event=replica.appeared},
 * {@code event=replica.expired}, {@code event=replica.left} (INFO), {@code event=replica.report} (DEBUG,
 * each change of a report), {@code event=replica.report_unreadable} (WARN).
 */
final class ReplicaReports implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaReports.class);
    static final int FORGET_AFTER_DURATIONS = 4;

    /** A report that counts now, with the identity of the replica that wrote it. */
    record Remote(String replica, ReplicaReport report) {
    }

    private record Entry(String replica, ReplicaReport report, ZonedDateTime renewed, long deadline, long durationNanos,
                         boolean expired) {
        boolean live(long now) {
            return !expired && now - deadline < 0;
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String own;
    private final Runnable changed;
    private final LongSupplier nanos;
    private final Supplier<ZonedDateTime> wallClock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-replica-expiry");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<Lease> informer;
    /** The annotation last found unreadable, by Lease: told once, not at every renewal. */
    private final Map<String, String> unreadable = new ConcurrentHashMap<>();

    /**
     * @param own     this replica's own report Lease, passed over
     * @param changed called when a report appears, changes, expires or leaves: Programmed is decided again
     */
    ReplicaReports(KubernetesClient client, ControllerConfig config, String own, Runnable changed, MeterRegistry registry) {
        this(client, config, own, changed, registry, System::nanoTime, () -> ZonedDateTime.now(java.time.ZoneOffset.UTC));
    }

    ReplicaReports(KubernetesClient client, ControllerConfig config, String own, Runnable changed, MeterRegistry registry,
                   LongSupplier nanos, Supplier<ZonedDateTime> wallClock) {
        this.client = requireNonNull(client, "client");
        this.namespace = config.leaseNamespace();
        this.leaseName = config.leaseName();
        this.own = requireNonNull(own, "own");
        this.changed = requireNonNull(changed, "changed");
        this.nanos = nanos;
        this.wallClock = wallClock;
        Gauge.builder("gatehouse.controller.replica.reports", this, r -> r.live().size())
                .description("Other replicas' proxy reports the leader counts for Programmed (0 on the other replicas)")
                .register(registry);
        Gauge.builder("gatehouse.controller.replica.proxies", this, r -> r.live().stream().mapToInt(x -> x.report().synced()).sum())
                .description("Synced proxies of other replicas the leader counts for Programmed").register(registry);
    }

    /** Starts watching the reports (on becoming leader). */
    synchronized void start() {
        if (informer != null) {
            return;
        }
        informer = client.leases().inNamespace(namespace).withLabel(ReplicaLease.LABEL, leaseName).inform(
                new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Lease lease) {
                        seen(lease);
                    }

                    @Override
                    public void onUpdate(Lease before, Lease lease) {
                        seen(lease);
                    }

                    @Override
                    public void onDelete(Lease lease, boolean unknownFinalState) {
                        left(lease);
                    }
                }, 0);
    }

    /** Stops watching and forgets every report (on losing the lead). */
    synchronized void stop() {
        if (informer != null) {
            informer.close();
            informer = null;
        }
        if (!entries.isEmpty()) {
            entries.clear();
            changed.run();
        }
    }

    /** The reports that count now, by replica. */
    List<Remote> live() {
        long now = nanos.getAsLong();
        List<Remote> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            if (e.live(now)) {
                out.add(new Remote(e.replica(), e.report()));
            }
        }
        out.sort(Comparator.comparing(Remote::replica));
        return out;
    }

    private void seen(Lease lease) {
        String name = lease.getMetadata().getName();
        if (own.equals(name) || lease.getSpec() == null) {
            return;
        }
        String replica = Objects.requireNonNullElse(lease.getSpec().getHolderIdentity(), name);
        ReplicaReport report = read(lease, name);
        long durationNanos = Duration.ofSeconds(Math.max(1, Objects.requireNonNullElse(
                lease.getSpec().getLeaseDurationSeconds(), 15))).toNanos();
        ZonedDateTime renewed = lease.getSpec().getRenewTime();
        long now = nanos.getAsLong();
        Entry before = entries.get(name);
        long deadline;
        if (before != null && Objects.equals(before.renewed(), renewed)) {
            deadline = before.deadline(); // the report alone changed: no renewal
        } else if (before == null && renewed != null) {
            // first seen: as old as its renewTime says, never younger than now (another clock may run ahead)
            long age = Math.max(0, Duration.between(renewed, wallClock.get()).toNanos());
            deadline = now - Math.min(age, durationNanos * FORGET_AFTER_DURATIONS * 2) + durationNanos;
        } else {
            deadline = now + durationNanos;
        }
        Entry next = new Entry(replica, report, renewed, deadline, durationNanos, now - deadline >= 0);
        entries.put(name, next);
        boolean wasLive = before != null && before.live(now);
        if (next.live(now) && !wasLive) {
            log.info("event=replica.appeared replica={} lease={}/{} proxies={}", replica, namespace, name, report.synced());
        } else if (!next.live(now) && before == null) {
            log.info("event=replica.expired replica={} lease={}/{} renewed={} reason=\"not renewed for its lease duration\"",
                    replica, namespace, name, renewed);
        }
        if (before == null || !before.report().equals(report) || wasLive != next.live(now)) {
            log.debug("event=replica.report replica={} proxies={} hashes={} refused={} refused_left_out={}", replica,
                    report.synced(), report.acked().size(), report.refused().values().stream().mapToInt(Map::size).sum(),
                    report.leftOut());
            changed.run();
        }
        schedule(name, next, now);
    }

    private ReplicaReport read(Lease lease, String name) {
        Map<String, String> annotations = lease.getMetadata().getAnnotations();
        String json = annotations == null ? null : annotations.get(ReplicaLease.ANNOTATION);
        if (json == null) {
            return ReplicaReport.EMPTY;
        }
        try {
            ReplicaReport r = ReplicaReport.parse(json);
            unreadable.remove(name);
            return r;
        } catch (IllegalArgumentException e) {
            if (json.equals(unreadable.put(name, json))) {
                return ReplicaReport.EMPTY;
            }
            log.warn("event=replica.report_unreadable lease={}/{} annotation={} error=\"{}\" fix=\"every replica must run "
                    + "a Gatehouse version that writes this report; its proxies are not counted meanwhile\"", namespace, name,
                    ReplicaLease.ANNOTATION, e.getMessage().replace('"', '\''));
            return ReplicaReport.EMPTY;
        }
    }

    /** Checks {@code name} again at its deadline, and at the time it is to be deleted. */
    private void schedule(String name, Entry e, long now) {
        long at = e.live(now) ? e.deadline() : e.deadline() + e.durationNanos() * FORGET_AFTER_DURATIONS;
        try {
            timer.schedule(() -> check(name), Math.max(0, at - now) + 1, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closed
        }
    }

    private void check(String name) {
        long now = nanos.getAsLong();
        Entry e = entries.get(name);
        if (e == null) {
            return;
        }
        if (!e.expired() && now - e.deadline() >= 0) {
            Entry expired = new Entry(e.replica(), e.report(), e.renewed(), e.deadline(), e.durationNanos(), true);
            if (entries.replace(name, e, expired)) {
                log.info("event=replica.expired replica={} lease={}/{} renewed={} reason=\"not renewed for its lease duration\"",
                        e.replica(), namespace, name, e.renewed());
                changed.run();
                schedule(name, expired, now);
            }
        } else if (e.expired() && now - e.deadline() >= e.durationNanos() * FORGET_AFTER_DURATIONS) {
            try {
                client.leases().inNamespace(namespace).withName(name).delete();
                log.info("event=replica.lease_deleted replica={} lease={}/{} reason=\"expired for {} lease durations\"",
                        e.replica(), namespace, name, FORGET_AFTER_DURATIONS);
            } catch (RuntimeException failed) {
                log.warn("event=replica.lease_delete_failed lease={}/{} error=\"{}\" fix=\"the controller's Role must allow "
                        + "delete on leases in {}\"", namespace, name, String.valueOf(failed.getMessage()).replace('"', '\''),
                        namespace);
            }
        }
    }

    private void left(Lease lease) {
        unreadable.remove(lease.getMetadata().getName());
        Entry e = entries.remove(lease.getMetadata().getName());
        if (e != null) {
            log.info("event=replica.left replica={} lease={}/{}", e.replica(), namespace, lease.getMetadata().getName());
            changed.run();
        }
    }

    @Override
    public void close() {
        stop();
        timer.shutdownNow();
    }
}
