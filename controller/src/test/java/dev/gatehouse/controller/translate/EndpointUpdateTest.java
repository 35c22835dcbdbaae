package dev.gatehouse.controller.translate;

import dev.gatehouse.config.SnapshotCodec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The endpoint path ({@link IncrementalTranslator#endpoints}) on a small cluster of the scale
 * issue's shape: a pure endpoint change translates the Upstreams that read the Service and
 * nothing else (counted through the objects translated anew), gives the full translation's
 * snapshot and statuses, and keeps every other snapshot object; what it cannot serve exactly it
 * declines, saying why.
 */
class EndpointUpdateTest {
    private static final TlsSettings TLS = new TlsSettings(null, Instant.parse("2026-06-01T00:00:00Z"));
    private static final ScaleFixture SMALL = new ScaleFixture(40, 100, 20, 500, 30);
    private static final String[] KINDS = {"Upstream", "GatewayService", "Consumer", "GatewayRoute"};

    private final ClusterState base = SMALL.state();
    private final IncrementalTranslator translator = new IncrementalTranslator(Integer.MAX_VALUE);

    private long[] built() {
        long[] out = new long[KINDS.length];
        for (int i = 0; i < KINDS.length; i++) {
            out[i] = translator.built(KINDS[i]);
        }
        return out;
    }

    private static ClusterState withSlices(ClusterState s, List<EndpointSlice> slices) {
        return new ClusterState(s.upstreams(), s.services(), s.routes(), s.consumers(), s.kubeServices(), slices, s.secrets(),
                s.ingresses(), s.ingressClasses());
    }

    private static List<EndpointSlice> replaced(ClusterState s, String name, EndpointSlice with) {
        List<EndpointSlice> slices = new ArrayList<>(s.endpointSlices());
        for (int i = 0; i < slices.size(); i++) {
            if (slices.get(i).getMetadata().getName().equals(name)) {
                slices.set(i, with);
                return slices;
            }
        }
        throw new AssertionError("no slice " + name);
    }

    private static String json(Translation t) {
        return new String(SnapshotCodec.toJson(t.snapshot()), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aPureEndpointChangeTranslatesTheOneUpstreamAndNothingElseAndIsTheFullTranslation() {
        Translation before = translator.translate(base, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
        ClusterState changed = withSlices(base, replaced(base, "svc-7-0", SMALL.slices(7, 1000).get(0)));
        long[] builtBefore = built();

        EndpointChange change = translator.endpoints(changed, Set.of("default/svc-7"));

        assertThat(change.needsFullTranslation()).as("declined: %s", change.fallback()).isFalse();
        assertThat(change.upstreams()).isEqualTo(1);
        long[] builtAfter = built();
        assertThat(builtAfter[0] - builtBefore[0]).as("Upstreams translated").isEqualTo(1);
        assertThat(builtAfter[1] - builtBefore[1]).as("GatewayServices translated").isZero();
        assertThat(builtAfter[2] - builtBefore[2]).as("Consumers translated").isZero();
        assertThat(builtAfter[3] - builtBefore[3]).as("GatewayRoutes translated").isZero();
        assertThat(translator.endpointUpdates()).isEqualTo(1);

        Translation t = change.translation();
        Translation full = Translator.translate(changed, TLS);
        assertThat(json(t)).isEqualTo(json(full));
        assertThat(t.statuses()).isEqualTo(full.statuses());
        assertThat(t.snapshot().upstreams().stream().filter(u -> u.id().equals("default/u-7")).findFirst().orElseThrow()
                .targets().get(0).host()).isEqualTo(ScaleFixture.address(SMALL.firstEndpoint(7) + 1000));
        for (int i = 0; i < t.snapshot().upstreams().size(); i++) {
            if (!t.snapshot().upstreams().get(i).id().equals("default/u-7")) {
                assertThat(t.snapshot().upstreams().get(i)).as("upstream %d", i).isSameAs(before.snapshot().upstreams().get(i));
            }
        }
        assertThat(t.snapshot().routes()).isSameAs(before.snapshot().routes());
        assertThat(t.snapshot().services()).isSameAs(before.snapshot().services());

        // the next rebuild of the same state reuses what the endpoint path kept: nothing translated, same objects
        Translation rebuilt = translator.translate(changed, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
        assertThat(built()).containsExactly(builtAfter);
        assertThat(rebuilt.snapshot().upstreams()).containsExactlyElementsOf(t.snapshot().upstreams());
        for (int i = 0; i < t.snapshot().upstreams().size(); i++) {
            assertThat(rebuilt.snapshot().upstreams().get(i)).isSameAs(t.snapshot().upstreams().get(i));
        }
    }

    @Test
    void aServiceDeletedReachesTheUpstreamStatusAndATargetSetGoneEmptyItsCounts() {
        translator.translate(base, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
        List<Service> services = new ArrayList<>(base.kubeServices());
        services.removeIf(s -> s.getMetadata().getName().equals("svc-3"));
        ClusterState deleted = new ClusterState(base.upstreams(), base.services(), base.routes(), base.consumers(), services,
                base.endpointSlices(), base.secrets());

        EndpointChange change = translator.endpoints(deleted, Set.of("default/svc-3"));

        assertThat(change.needsFullTranslation()).as("declined: %s", change.fallback()).isFalse();
        Translation full = Translator.translate(deleted, TLS);
        assertThat(json(change.translation())).isEqualTo(json(full));
        assertThat(change.translation().statuses()).isEqualTo(full.statuses());
        ObjectStatus u3 = change.translation().statuses().stream()
                .filter(s -> s.source().kind().equals("Upstream") && s.source().name().equals("u-3")).findFirst().orElseThrow();
        assertThat(u3.targets()).isZero();
        assertThat(u3.conditions().get(1).status()).as("ResolvedRefs").isFalse();
        assertThat(u3.conditions().get(1).message()).contains("Service default/svc-3 not found");
    }

    @Test
    void declinesWhatItCannotServeExactly() {
        assertThat(translator.endpoints(base, Set.of("default/svc-1")).fallback()).isEqualTo("no-translation-yet");

        Ingress ingress = new IngressBuilder().withNewMetadata().withName("ing").withNamespace("default").endMetadata()
                .withNewSpec().withIngressClassName("gatehouse").addNewRule().withHost("i.example.com").withNewHttp().addNewPath()
                .withPath("/").withPathType("Prefix").withNewBackend().withNewService().withName("svc-1").withNewPort()
                .withName("http").endPort().endService().endBackend().endPath().endHttp().endRule().endSpec().build();
        ClusterState withIngress = base.withIngress(List.of(ingress), List.of());
        translator.translate(withIngress, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
        ClusterState changed = withSlices(withIngress, replaced(withIngress, "svc-1-0", SMALL.slices(1, 7).get(0)));
        assertThat(translator.endpoints(changed, Set.of("default/svc-1")).fallback()).as("a Service an Ingress reads")
                .isEqualTo("read-by-ingress-or-gateway-api");
        assertThat(translator.endpoints(changed, Set.of("default/svc-2")).needsFullTranslation()).as("one only Upstreams read")
                .isFalse();

        List<dev.gatehouse.api.v1alpha1.Upstream> upstreams = new ArrayList<>(base.upstreams());
        upstreams.remove(0);
        ClusterState fewer = new ClusterState(upstreams, base.services(), base.routes(), base.consumers(), base.kubeServices(),
                base.endpointSlices(), base.secrets(), withIngress.ingresses(), List.of());
        assertThat(translator.endpoints(fewer, Set.of("default/svc-2")).fallback()).as("an Upstream changed since")
                .isEqualTo("upstreams-changed");

        EndpointChange nothing = translator.endpoints(changed, Set.of("default/nobody-reads-this"));
        assertThat(nothing.needsFullTranslation()).isFalse();
        assertThat(nothing.translation()).as("nothing to publish").isNull();
        assertThat(translator.mismatches()).isZero();
    }
}
