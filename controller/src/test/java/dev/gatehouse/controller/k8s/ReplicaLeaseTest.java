package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
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
@EnableKubernetesMockClient(crud = true)
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

    /** A write of the Lease: the report it carried and its renewTime. */
    record Written(String report, ZonedDateTime renewed) {
    }

    /** The write seen last by {@link #changes}. */
    Written lastWritten;

    /**
     * The writes of the Lease since the last call (the first one a create, the others updates),
     * renewals included: those come every third of the lease duration (5 s) whatever changed, so a
     * loaded machine that stretches the test may show one anywhere.
     */
    List<Written> writes(String name) throws InterruptedException {
        List<Written> writes = new ArrayList<>();
        for (RecordedRequest r = server.takeRequest(1, TimeUnit.MILLISECONDS); r != null;
             r = server.takeRequest(1, TimeUnit.MILLISECONDS)) {
            if (("PUT".equals(r.getMethod()) && r.getPath().endsWith("/leases/" + name)) || ("POST".equals(r.getMethod())
                    && r.getPath().endsWith("/leases"))) {
                Lease l = client.getKubernetesSerialization().unmarshal(r.getBody().readUtf8(), Lease.class);
                writes.add(new Written(l.getMetadata().getAnnotations().get(ReplicaLease.ANNOTATION), l.getSpec().getRenewTime()));
            }
        }
        return writes;
    }

    /**
     * How many of {@code writes} carry another report than the write before: the changes. A write
     * of the same report must be a renewal, due no sooner than 90 % of 5 s after the write before.
     */
    int changes(List<Written> writes) {
        int n = 0;
        for (Written w : writes) {
            if (lastWritten != null && w.report().equals(lastWritten.report())) {
                assertThat(Duration.between(lastWritten.renewed(), w.renewed()))
                        .as("an unchanged report written again other than as a renewal").isGreaterThanOrEqualTo(Duration.ofMillis(4_400));
            } else {
                n++;
            }
            lastWritten = w;
        }
        return n;
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
            changes(writes(name));

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
            List<Written> written = writes(name);
            int burst = written.size();
            changes(written);
            // a renewal is written at its own pace whatever the interval: one per 5 s besides
            assertThat(burst).as("%d writes in %d ms at one per 300 ms at most, and renewals", burst, elapsedMs)
                    .isBetween(1, (int) (elapsedMs / 300) + (int) (elapsedMs / 5_000) + 3);

            for (int i = 0; i < 20; i++) {
                writer.changed(); // unchanged: nothing to write
            }
            ReplicaReport next = new ReplicaReport.Builder().acked("next").build();
            report.set(next);
            writer.changed();
            await(() -> shown(name), next::equals, "the next report");
            assertThat(changes(writes(name))).as("only the changed report was written (renewals aside)").isEqualTo(1);
        } finally {
            writer.close();
        }
        assertThat(lease(name)).as("deleted on a clean stop").isNull();
    }
}
