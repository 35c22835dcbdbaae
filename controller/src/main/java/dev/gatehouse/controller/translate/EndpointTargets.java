package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Upstream.Target;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Kubernetes Service port → the pods behind it, as its EndpointSlices name them
 * (discovery.k8s.io/v1). The one reading of EndpointSlices, for Upstream {@code serviceRef} and
 * Ingress backends alike.
 */
final class EndpointTargets {
    /** The label EndpointSlices carry naming their Service (discovery.k8s.io/v1). */
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private EndpointTargets() {
    }

    /** The Service {@code namespace/name}, or null. */
    static Service service(ClusterState state, String namespace, String name) {
        return state.kubeService(namespace, name);
    }

    /** The Service an EndpointSlice belongs to, {@code namespace/name} from its label; null without one. */
    static String serviceOf(EndpointSlice slice) {
        Map<String, String> labels = slice.getMetadata() == null ? null : slice.getMetadata().getLabels();
        String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        return service == null ? null : Sources.namespace(slice) + "/" + service;
    }

    /** The Service port {@code port} names (by number, or by name when a string); null if none. */
    static ServicePort port(IntOrString port, Service svc) {
        if (port == null) {
            return null;
        }
        List<ServicePort> ports = svc.getSpec() == null || svc.getSpec().getPorts() == null
                ? List.of() : svc.getSpec().getPorts();
        for (ServicePort p : ports) {
            String name = Objects.requireNonNullElse(p.getName(), "");
            if (port.getStrVal() != null ? port.getStrVal().equals(name) : Objects.equals(port.getIntVal(), p.getPort())) {
                return p;
            }
        }
        return null;
    }

    static String portText(IntOrString port) {
        return port.getStrVal() != null ? "named \"" + port.getStrVal() + "\"" : String.valueOf(port.getIntVal());
    }

    /**
     * The targets of Service {@code namespace/service}'s port named {@code portName} ("" for an
     * unnamed one, the name EndpointSlice ports carry), one per endpoint address; FQDN slices
     * are left out.
     */
    static List<Target> of(ClusterState state, String namespace, String service, String portName) {
        Map<String, Target> out = new LinkedHashMap<>();
        for (EndpointSlice slice : state.endpointSlicesOf(namespace, service)) {
            if ("FQDN".equals(slice.getAddressType())) {
                continue;
            }
            Integer port = Objects.requireNonNullElse(slice.getPorts(), List.<EndpointPort>of()).stream()
                    .filter(p -> portName.equals(Objects.requireNonNullElse(p.getName(), "")))
                    .map(EndpointPort::getPort).filter(Objects::nonNull).findFirst().orElse(null);
            if (port == null) {
                continue;
            }
            for (Endpoint e : Objects.requireNonNullElse(slice.getEndpoints(), List.<Endpoint>of())) {
                int weight = weight(e);
                if (weight < 0) {
                    continue;
                }
                for (String address : Objects.requireNonNullElse(e.getAddresses(), List.<String>of())) {
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

    /**
     * Ready and not terminating: full weight. Terminating but still serving: weight 0, so
     * in-flight requests finish and no new one is sent (drain). Otherwise: -1, left out.
     * A nil {@code ready} means ready (discovery.k8s.io/v1 EndpointConditions).
     */
    private static int weight(Endpoint e) {
        var c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
        if (!terminating && ready) {
            return Target.DEFAULT_WEIGHT;
        }
        return terminating && serving ? 0 : -1;
    }
}
