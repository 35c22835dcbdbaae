package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica's report Lease on the mock API server (CRUD mode): what it holds, how often it is
 * written while the report keeps changing, that an unchanged report is not written again, and
 * that a clean stop deletes it.
 */
@ExtendWith(MockApiServerExtension.class)
class ReplicaLeaseTest {
    KubernetesMockServer server;
    KubernetesClient client;
    final AtomicReference<ReplicaReport> report = new AtomicReference<>(ReplicaReport.EMPTY);

    Lease lease(String name) {
        return client.leases().inNamespace("ns").withName(name).get();
    }

    ReplicaReport shown(String name) {
        Lease l = lease(name);
        return l == null ? null : ReplicaReport.parse(l.getMetadata().getAnnotations().get(ReplicaLease.ANNOTATION));
    }

    /**
     * Writes of the Lease since the last call (the first one a create, the others updates),
     * renewals included: a renewal is written whatever changed once 90 % of a third of the lease
     * duration (4.5 s) has passed since the write before, which a loaded machine that stretches
     * the test may reach. (The request bodies cannot tell them apart: the mock server's CRUD
     * dispatcher has read them.)
     */
    int writes(String name) throws InterruptedException {
        int n = 0;
        for (RecordedRequest r = server.takeRequest(1, TimeUnit.MILLISECONDS); r != null;
             r = server.takeRequest(1, TimeUnit.MILLISECONDS)) {
            if (("PUT".equals(r.getMethod()) && r.getPath().endsWith("/leases/" + name)) || ("POST".equals(r.getMethod())
                    && r.getPath().endsWith("/leases"))) {
                n++;
            }
        }
        return n;
    }

    /** The renewals that can fall within {@code millis} after a write: one per 4.5 s. */
    static int renewalsWithin(long millis) {
        return (int) (millis / 4_500);
    }

    @Test
    void writtenAtMostOncePerIntervalOnlyOnChangeAndDeletedOnACleanStop() throws Exception {
        ControllerConfig config = ControllerConfig.defaults(List.of(), "ns", "Controller_B")
                .withReplicaReportInterval(Duration.ofMillis(300));
        ReplicaLease writer = new ReplicaLease(client, config, report::get, new SimpleMeterRegistry()).start();
        String name = writer.name();
        assertThat(name).isEqualTo("gatehouse-controller-replica-controller-b");
        try {
            await(() -> lease(name), l -> l != null, "the report Lease");
            Lease l = lease(name);
            assertThat(l.getMetadata().getLabels()).containsEntry(ReplicaLease.LABEL, "gatehouse-controller");
            assertThat(l.getSpec().getHolderIdentity()).isEqualTo("Controller_B");
            assertThat(l.getSpec().getLeaseDurationSeconds()).isEqualTo(15);
            assertThat(l.getSpec().getRenewTime()).isNotNull();
            writes(name);

            long start = System.nanoTime();
            ReplicaReport last = null;
            for (int i = 0; i < 2_000; i++) { // a burst of ACKs, each changing the report
                last = new ReplicaReport.Builder().acked("h" + i).build();
                report.set(last);
                writer.changed();
            }
            ReplicaReport fin = last;
            await(() -> shown(name), fin::equals, "the last report");
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            int burst = writes(name);
            // a renewal is written at its own pace whatever the interval
            assertThat(burst).as("%d writes in %d ms at one per 300 ms at most, and renewals", burst, elapsedMs)
                    .isBetween(1, (int) (elapsedMs / 300) + 2 + 1 + renewalsWithin(elapsedMs));

            for (int i = 0; i < 20; i++) {
                writer.changed(); // unchanged: nothing to write
            }
            ReplicaReport next = new ReplicaReport.Builder().acked("next").build();
            report.set(next);
            writer.changed();
            await(() -> shown(name), next::equals, "the next report");
            // renewals since the last report was written (after start): at most one per 4.5 s
            long sinceStartMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(writes(name)).as("only the changed report was written (and renewals due in %d ms)", sinceStartMs)
                    .isBetween(1, 1 + renewalsWithin(sinceStartMs));
        } finally {
            writer.close();
        }
        assertThat(lease(name)).as("deleted on a clean stop").isNull();
    }

    static ReplicaReport over(int extraHashes, int extraRefusals) {
        ReplicaReport.Builder b = new ReplicaReport.Builder();
        for (int i = 0; i < ReplicaReport.MAX_HASHES + extraHashes; i++) {
            b.acked("hash-" + i);
        }
        for (int i = 0; i < ReplicaReport.MAX_REFUSALS + extraRefusals; i++) {
            b.refused("h", "uid-" + i, "x".repeat(ReplicaReport.MAX_MESSAGE_CHARS + 10));
        }
        return b.build();
    }

    /** A report over its bounds is counted once per change of what went over, not once per write or renewal. */
    @Test
    void aReportOverItsBoundsIsCountedOncePerChangeNotPerWrite() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ControllerConfig config = ControllerConfig.defaults(List.of(), "ns", "controller-c")
                .withReplicaReportInterval(Duration.ofMillis(10));
        report.set(new ReplicaReport.Builder().acked("h").build());
        ReplicaLease writer = new ReplicaLease(client, config, report::get, registry).start();
        String name = writer.name();
        java.util.function.DoubleSupplier overflows = () -> registry.get("gatehouse.controller.replica.report.overflows")
                .counter().count();
        try {
            await(() -> shown(name), r -> r != null && r.acked().containsKey("h"), "the first report");
            assertThat(overflows.getAsDouble()).as("within its bounds").isZero();

            ReplicaReport first = over(5, 3);
            assertThat(first.overflow()).isEqualTo(new ReplicaReport.Overflow(5, 3, ReplicaReport.MAX_REFUSALS));
            report.set(first);
            writer.changed();
            await(() -> shown(name), first::equals, "the report over its bounds");
            assertThat(overflows.getAsDouble()).isEqualTo(1);
            for (int i = 0; i < 5; i++) {
                writer.changed(); // the same report: no write, no count
            }
            ReplicaReport marker = new ReplicaReport.Builder().acked("marker").build();
            report.set(marker);
            writer.changed();
            await(() -> shown(name), marker::equals, "a report within its bounds again");
            assertThat(overflows.getAsDouble()).as("the same overflow was not counted again").isEqualTo(1);

            ReplicaReport second = over(6, 0);
            report.set(second);
            writer.changed();
            await(() -> shown(name), second::equals, "another report over its bounds");
            assertThat(overflows.getAsDouble()).as("a new overflow, a new count").isEqualTo(2);
        } finally {
            writer.close();
        }
    }
}
