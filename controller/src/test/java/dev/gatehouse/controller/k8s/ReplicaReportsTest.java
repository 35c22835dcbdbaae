package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's reading of the report Leases on the mock API server (CRUD mode), on a clock the
 * test drives: which reports count, when they stop counting, and which Leases are not read at all.
 */
@ExtendWith(MockApiServerExtension.class)
class ReplicaReportsTest {
    KubernetesClient client;
    final ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    /** Calls of {@code changed} that saw no report counting: Programmed decided without the other replicas. */
    final AtomicInteger decidedAlone = new AtomicInteger();
    final java.util.concurrent.atomic.AtomicReference<ReplicaReports> current = new java.util.concurrent.atomic.AtomicReference<>();
    final ControllerConfig config = ControllerConfig.defaults(List.of(), "ns", "controller-a");

    ReplicaReports reports() {
        // changed() runs on the informer's thread after the report is in or out: what it sees is what the leader decides on
        ReplicaReports r = new ReplicaReports(client, config, ReplicaLease.nameFor("gatehouse-controller", "controller-a"), () -> {
            if (current.get().live().isEmpty()) {
                decidedAlone.incrementAndGet();
            }
        }, new SimpleMeterRegistry(), nanos::get, () -> now);
        current.set(r);
        return r;
    }

    Lease report(String replica, ZonedDateTime renewed, String label, ReplicaReport report) {
        return new LeaseBuilder().withNewMetadata().withNamespace("ns").withName(ReplicaLease.nameFor("gatehouse-controller", replica))
                .addToLabels(ReplicaLease.LABEL, label).addToAnnotations(ReplicaLease.ANNOTATION, report.toJson()).endMetadata()
                .withNewSpec().withHolderIdentity(replica).withLeaseDurationSeconds(15).withRenewTime(renewed).endSpec().build();
    }

    @Test
    void freshReportsCountTheOwnAnOldOneAndAnotherReleasesDoNotAndExpiry() throws Exception {
        ReplicaReport one = new ReplicaReport.Builder().acked("h1").acked("h1").build();
        client.resource(report("controller-b", now.minusSeconds(1), "gatehouse-controller", one)).create();
        client.resource(report("controller-c", now.minusSeconds(20), "gatehouse-controller", one)).create(); // killed before
        client.resource(report("controller-a", now, "gatehouse-controller", one)).create(); // this replica's own
        client.resource(report("controller-d", now, "other-release", one)).create();
        Lease unreadable = report("controller-e", now.minusSeconds(1), "gatehouse-controller", ReplicaReport.EMPTY);
        unreadable.getMetadata().getAnnotations().put(ReplicaLease.ANNOTATION, "{\"acked\":\"all\"}"); // another version's
        client.resource(unreadable).create();
        try (ReplicaReports r = reports()) {
            r.start();
            await(() -> r.live(), l -> l.size() == 2, "controller-b's and controller-e's reports");
            assertThat(r.live()).as("an unreadable report counts no proxy").containsExactly(
                    new ReplicaReports.Remote("controller-b", one), new ReplicaReports.Remote("controller-e", ReplicaReport.EMPTY));

            nanos.addAndGet(Duration.ofSeconds(13).toNanos()); // 14 s since its renewal: still counts
            assertThat(r.live()).hasSize(2);
            nanos.addAndGet(Duration.ofSeconds(2).toNanos()); // 16 s: expired
            assertThat(r.live()).isEmpty();

            ReplicaReport two = new ReplicaReport.Builder().acked("h2").build();
            client.resource(report("controller-b", now, "gatehouse-controller", two)).update(); // renewed: counts again
            await(() -> r.live(), l -> l.size() == 1 && l.get(0).report().equals(two), "controller-b renewed");

            int before = decidedAlone.get();
            client.leases().inNamespace("ns").withName(ReplicaLease.nameFor("gatehouse-controller", "controller-b")).delete();
            await(() -> r.live(), List::isEmpty, "controller-b left");
            // awaited, not read once: the informer's thread calls changed() just after the report is gone
            await(decidedAlone::get, n -> n > before, "leaving decides Programmed again, without controller-b");

            r.stop();
            assertThat(r.live()).isEmpty();
        }
    }

    @Test
    void aLeaseNameIsThePodNameOrItsDigest() {
        assertThat(ReplicaLease.nameFor("gatehouse-controller", "gatehouse-controller-6d4f7b9c8-x2x9k"))
                .isEqualTo("gatehouse-controller-replica-gatehouse-controller-6d4f7b9c8-x2x9k");
        assertThat(ReplicaLease.nameFor("gatehouse-controller", "Host_1.example")).isEqualTo("gatehouse-controller-replica-host-1-example");
        assertThat(ReplicaLease.nameFor("gatehouse-controller", "___")).matches("gatehouse-controller-replica-[0-9a-f]{16}");
    }
}
