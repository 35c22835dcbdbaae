package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Service;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.Upstream.Target;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.networking.v1.ServiceBackendPort;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The backends of one Ingress → snapshot services and upstreams: one pair per Service port the
 * Ingress names, with id {@code namespace/ingress#service:portNumber} (a {@code #} never appears in a
 * GatewayService's id), its targets the Service's ready endpoints (pods), or for an
 * {@code ExternalName} Service its DNS name. The Ingress's annotations set the algorithm,
 * retries and timeouts. A backend that cannot be used is a warning naming its field; the
 * path keeps its route with no service (503), so its requests never fall through elsewhere.
 */
final class IngressBackends {
    private static final Pattern HOST = Pattern.compile("^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$");
    private final ClusterState state;
    private final TranslationContext ctx;
    private final ObjectReport report;
    private final IngressSettings settings;
    private final java.util.Set<String> made = new java.util.HashSet<>();

    IngressBackends(ClusterState state, TranslationContext ctx, ObjectReport report, IngressSettings settings) {
        this.state = state;
        this.ctx = ctx;
        this.report = report;
        this.settings = settings;
    }

    /**
     * @param field where the backend is, e.g. {@code spec.rules[0].http.paths[1].backend}
     * @return the id of the snapshot service, or null (then warned) when the backend cannot be used
     */
    String resolve(IngressBackend backend, String field) {
        Source source = report.source;
        if (backend == null) {
            report.warn(Reason.BackendNotFound, field, "missing (expected: service with name and port)");
            return null;
        }
        if (backend.getResource() != null) {
            report.warn(Reason.InvalidKind, field + ".resource", "a resource backend (" + kindOf(backend)
                    + ") cannot take traffic through Gatehouse; requests for it get 503 (expected: a service backend)");
            return null;
        }
        IngressServiceBackend sb = backend.getService();
        if (sb == null || sb.getName() == null || sb.getName().isEmpty()) {
            report.warn(Reason.BackendNotFound, field + ".service.name", "missing (expected: the name of a Service in "
                    + source.namespace() + ")");
            return null;
        }
        IntOrString port = port(sb.getPort());
        if (port == null) {
            report.warn(Reason.BackendNotFound, field + ".service.port", "missing (expected: number or name of a port of Service "
                    + source.namespace() + "/" + sb.getName() + ")");
            return null;
        }
        String serviceKey = source.namespace() + "/" + sb.getName();
        io.fabric8.kubernetes.api.model.Service svc = EndpointTargets.service(state, source.namespace(), sb.getName());
        if (svc == null) {
            report.warn(Reason.BackendNotFound, field + ".service.name", "Service " + serviceKey
                    + " not found (requests for this path get 503 until it exists)");
            return null;
        }
        boolean external = svc.getSpec() != null && "ExternalName".equals(svc.getSpec().getType());
        ServicePort sp = EndpointTargets.port(port, svc);
        if (external) {
            return external(svc, sp, port, field);
        }
        if (sp == null) {
            List<String> known = svc.getSpec() == null || svc.getSpec().getPorts() == null ? List.of()
                    : svc.getSpec().getPorts().stream().map(p -> (p.getName() == null || p.getName().isEmpty() ? "" : p.getName() + " ")
                    + p.getPort()).toList();
            report.warn(Reason.BackendNotFound, field + ".service.port", "Service " + serviceKey + " has no port "
                    + EndpointTargets.portText(port) + " (expected one of: " + (known.isEmpty() ? "none" : String.join(", ", known))
                    + "); requests for this path get 503 until it has");
            return null;
        }
        // one pair per Service port, however the paths name it (by number or by name)
        String id = source.key() + "#" + sb.getName() + ":" + sp.getPort();
        if (!made.contains(id)) {
            make(id, EndpointTargets.of(state, source.namespace(), sb.getName(), Objects.requireNonNullElse(sp.getName(), "")));
        }
        return id;
    }

    /** An ExternalName Service: its DNS name with the port's number, one target (re-resolved by the proxy). */
    private String external(io.fabric8.kubernetes.api.model.Service svc, ServicePort sp, IntOrString port, String field) {
        String host = svc.getSpec().getExternalName();
        Integer number = sp != null ? sp.getPort() : port.getIntVal();
        if (host == null || !HOST.matcher(host).matches() || number == null || number < 1 || number > 65535) {
            report.warn(Reason.BackendNotFound, field + ".service", "ExternalName Service " + Sources.key(svc) + " has no usable "
                    + "spec.externalName or port " + EndpointTargets.portText(port)
                    + " (expected: a DNS name, and a port number or a named port of the Service)");
            return null;
        }
        String id = report.source.key() + "#" + svc.getMetadata().getName() + ":" + number;
        if (!made.contains(id)) {
            make(id, List.of(new Target(host, number, Target.DEFAULT_WEIGHT)));
        }
        return id;
    }

    private void make(String id, List<Target> found) {
        List<Target> targets = new ArrayList<>(found);
        targets.sort(Comparator.comparing(Target::host).thenComparingInt(Target::port));
        Source source = report.source;
        ctx.upstreams.put(id, new Upstream(id, source, settings.algorithm(), null, null, targets, null, 0));
        ctx.services.put(id, new Service(id, source, id, Service.Protocol.HTTP, "/", null, settings.retries(), settings.timeouts()));
        made.add(id);
    }

    private static IntOrString port(ServiceBackendPort p) {
        if (p == null) {
            return null;
        }
        if (p.getName() != null && !p.getName().isEmpty()) {
            return new IntOrString(p.getName());
        }
        return p.getNumber() == null ? null : new IntOrString(p.getNumber());
    }

    private static String kindOf(IngressBackend b) {
        var r = b.getResource();
        String group = r.getApiGroup() == null || r.getApiGroup().isEmpty() ? "" : r.getApiGroup() + "/";
        return group + r.getKind() + " " + r.getName();
    }
}
