package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Upstream.Target;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index of Services and EndpointSlices answers exactly what a scan of every object answered:
 * for random slices (two namespaces, a few Services of the same names, FQDN and IPv4, named and
 * unnamed ports, ready, terminating and not-ready endpoints, duplicate addresses, slices without
 * the label) every Service's targets and lookup are those of the scan the translator did before.
 */
class EndpointIndexPropertyTest {
    static final List<String> NAMESPACES = List.of("default", "team-a");
    static final List<String> SERVICES = List.of("web", "api", "db");

    @Property(tries = 300)
    void theIndexAnswersWhatAScanAnswered(@ForAll("slices") List<EndpointSlice> slices, @ForAll("services") List<Service> services) {
        ClusterState state = new ClusterState(null, null, null, null, services, slices, null);
        for (String ns : NAMESPACES) {
            for (String svc : SERVICES) {
                assertThat(EndpointTargets.service(state, ns, svc)).as("Service %s/%s", ns, svc).isSameAs(scanService(services, ns, svc));
                for (String port : List.of("http", "")) {
                    assertThat(EndpointTargets.of(state, ns, svc, port)).as("targets of %s/%s port '%s'", ns, svc, port)
                            .isEqualTo(scanTargets(slices, ns, svc, port));
                }
            }
        }
        assertThat(state.endpointSlices()).as("the list itself, in order").isEqualTo(slices);
    }

    /** The lookup before the index: the first Service of that key in list order. */
    static Service scanService(List<Service> services, String namespace, String name) {
        String key = namespace + "/" + name;
        return services.stream().filter(s -> Sources.key(s).equals(key)).findFirst().orElse(null);
    }

    /** The reading before the index: a scan of every slice, filtered by namespace and label. */
    static List<Target> scanTargets(List<EndpointSlice> slices, String namespace, String service, String portName) {
        Map<String, Target> out = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if (!Sources.namespace(slice).equals(namespace) || slice.getMetadata().getLabels() == null
                    || !service.equals(slice.getMetadata().getLabels().get(EndpointTargets.SERVICE_NAME_LABEL))
                    || "FQDN".equals(slice.getAddressType())) {
                continue;
            }
            Integer port = slice.getPorts().stream().filter(p -> portName.equals(Objects.requireNonNullElse(p.getName(), "")))
                    .map(p -> p.getPort()).filter(Objects::nonNull).findFirst().orElse(null);
            if (port == null) {
                continue;
            }
            for (Endpoint e : slice.getEndpoints()) {
                var c = e.getConditions();
                boolean ready = c == null || c.getReady() == null || c.getReady();
                boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
                boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
                int weight = !terminating && ready ? Target.DEFAULT_WEIGHT : terminating && serving ? 0 : -1;
                if (weight < 0) {
                    continue;
                }
                for (String address : e.getAddresses()) {
                    Target t = new Target(address, port, weight);
                    Target previous = out.get(t.address());
                    if (previous == null || previous.weight() < weight) {
                        out.put(t.address(), t);
                    }
                }
            }
        }
        return List.copyOf(out.values());
    }

    @Provide
    Arbitrary<List<EndpointSlice>> slices() {
        Arbitrary<Endpoint> endpoint = Combinators.combine(Arbitraries.integers().between(1, 6),
                        Arbitraries.of(Boolean.TRUE, Boolean.FALSE, null), Arbitraries.of(Boolean.TRUE, Boolean.FALSE, null),
                        Arbitraries.of(Boolean.TRUE, Boolean.FALSE, null))
                .as((host, ready, serving, terminating) -> new EndpointBuilder().withAddresses("10.0.0." + host)
                        .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions().build());
        Arbitrary<EndpointSlice> slice = Combinators.combine(Arbitraries.of(NAMESPACES), Arbitraries.of("web", "api", "db", null),
                        Arbitraries.of("IPv4", "FQDN"), Arbitraries.of("http", ""), Arbitraries.integers().between(8000, 8002),
                        endpoint.list().ofMaxSize(4))
                .as((ns, service, type, port, number, endpoints) -> {
                    Map<String, String> labels = new HashMap<>();
                    if (service != null) {
                        labels.put(EndpointTargets.SERVICE_NAME_LABEL, service);
                    }
                    return new EndpointSliceBuilder().withMetadata(new ObjectMetaBuilder().withName("s").withNamespace(ns)
                                    .withLabels(labels).build()).withAddressType(type)
                            .addNewPort().withName(port.isEmpty() ? null : port).withPort(number).endPort()
                            .withEndpoints(new ArrayList<>(endpoints)).build();
                });
        return slice.list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<Service>> services() {
        return Combinators.combine(Arbitraries.of(NAMESPACES), Arbitraries.of(SERVICES), Arbitraries.integers().between(1, 3))
                .as((ns, name, n) -> new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns)
                        .withUid("uid-" + n).build()).build())
                .list().ofMaxSize(8);
    }
}
