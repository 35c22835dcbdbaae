package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Service;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.Upstream.Target;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The backendRefs of one HTTPRoute rule → one snapshot upstream and service (id
 * {@code namespace/route#rules[i]}) whose targets are the pods of every referenced Service port
 * (read as {@link EndpointTargets} reads them for Upstream {@code serviceRef} and Ingress backends).
 *
 * <p>Weights across Services are kept exactly in per-target weights ({@link #combine}): a Service
 * of weight {@code w} with {@code n} ready pods gives each pod {@code w · L / n}, {@code L} the least
 * common multiple of the pod counts, then all are divided by their greatest common divisor; so
 * the Services' shares of a weighted round robin are exactly {@code w / Σw}. Only when that
 * exceeds the target weight limit (65535) are the weights scaled down, and the shares are then
 * within one part in 65535 of exact.
 *
 * <p>A reference that cannot be used (not a Service, missing, its port missing, into another
 * namespace without a ReferenceGrant) is reported with the spec's reason and left out, its share
 * with it. A rule with no usable backend, or whose usable weights are all 0, has no service: its
 * routes answer 500 themselves, as the spec asks ({@link HttpRouteRules}). The weight of unusable
 * backends beside usable ones is {@link Resolved#unusableWeight}: the routes answer 500 for exactly that
 * share of their requests.
 *
 * <p>A backendRef of {@code group: gatehouse.dev, kind: Upstream} (the spec's "implementation-specific"
 * backend) sends the rule to that Upstream as it is, with its algorithm, hashing, health checks and slow
 * start, as a GatewayService's {@code upstreamRef} does; it must be the rule's only backendRef with a weight.
 */
final class GatewayBackends {
    /** The largest backendRef weight the Gateway API allows. */
    static final long MAX_ROUTE_WEIGHT = 1_000_000;
    /** The largest target weight a snapshot takes (config.Upstream.Target). */
    static final int MAX_WEIGHT = Target.MAX_WEIGHT;
    /** The kind of a backendRef to a Gatehouse Upstream (group {@code gatehouse.dev}). */
    static final String UPSTREAM_KIND = "Upstream";

    /**
     * One usable backend: a Service port's targets and the weight the route gives it; or an accepted
     * Upstream ({@code upstream} its snapshot id, {@code targets} empty), which keeps its own algorithm,
     * hashing and health checks and so cannot share a pool with other backends.
     */
    record Backend(String key, long weight, List<Target> targets, String upstream, String field) {
        Backend(String key, long weight, List<Target> targets) {
            this(key, weight, targets, null, null);
        }
    }

    /**
     * @param service        the service id, or null when the rule has no usable backend with a weight above 0
     * @param usableWeight   the sum of the usable backends' weights
     * @param unusableWeight the sum of the weights of the backendRefs that cannot be used
     */
    record Resolved(String service, long usableWeight, long unusableWeight) {
    }

    private GatewayBackends() {
    }

    /**
     * @param routeField e.g. {@code spec.rules[1]}
     * @param servicePath the prefix added upstream ({@code /} for none; a URLRewrite ReplacePrefixMatch sets it)
     * @param hostHeader  the Host sent upstream instead of the client's; null to keep the client's
     * @return the service, and the weights of usable and unusable backends
     */
    static Resolved resolve(String id, Source source, List<HTTPBackendRef> refs, String routeField, String servicePath,
                          String hostHeader, ClusterState state, TranslationContext ctx, RouteProblems problems) {
        return resolve(id, source, refs, routeField, servicePath, hostHeader, state, ctx, problems, HttpRouteExtensions.NONE);
    }

    /** @param extensions the accepted Upstreams, for backendRefs of kind Upstream */
    static Resolved resolve(String id, Source source, List<HTTPBackendRef> refs, String routeField, String servicePath,
                          String hostHeader, ClusterState state, TranslationContext ctx, RouteProblems problems,
                          HttpRouteExtensions extensions) {
        Map<String, Backend> usable = new LinkedHashMap<>();
        long unusable = 0;
        for (int k = 0; k < refs.size(); k++) {
            HTTPBackendRef ref = refs.get(k);
            String field = routeField + ".backendRefs[" + k + "]";
            Backend b = UPSTREAM_KIND.equals(ref.getKind()) && HttpRouteExtensions.GROUP.equals(ref.getGroup())
                    ? upstream(ref, field, source, state, problems, extensions) : backend(ref, field, source, state, problems);
            if (b != null) {
                usable.merge(b.key(), b, (a, c) -> new Backend(a.key(), a.weight() + c.weight(), a.targets()));
            } else if (ref.getWeight() == null || (ref.getWeight() > 0 && ref.getWeight() <= MAX_ROUTE_WEIGHT)) {
                unusable += ref.getWeight() == null ? 1 : ref.getWeight();
            }
        }
        List<Backend> weighted = usable.values().stream().filter(b -> b.weight() > 0).toList();
        if (weighted.size() > 1 && weighted.stream().anyMatch(b -> b.upstream() != null)) {
            // an Upstream balances by its own algorithm and health checks: it cannot be one share of a pool
            for (Backend b : weighted) {
                if (b.upstream() != null) {
                    problems.unsupported(b.field(), "Upstream " + b.upstream() + " beside other backendRefs with a weight "
                            + "(expected: an Upstream as the rule's only backendRef; weighted splits across Services "
                            + "are balanced round robin); its share of requests gets " + HttpRouteRules.NO_BACKEND);
                    unusable += b.weight();
                }
            }
            weighted = weighted.stream().filter(b -> b.upstream() == null).toList();
        }
        long usableWeight = weighted.stream().mapToLong(Backend::weight).sum();
        if (weighted.isEmpty()) {
            return new Resolved(null, 0, unusable);
        }
        if (weighted.get(0).upstream() != null) {
            ctx.services.put(id, new Service(id, source, weighted.get(0).upstream(), Service.Protocol.HTTP, servicePath,
                    hostHeader, Service.DEFAULT_RETRIES, Service.Timeouts.DEFAULT));
            return new Resolved(id, usableWeight, unusable);
        }
        List<Target> targets = new ArrayList<>(combine(weighted));
        targets.sort(Comparator.comparing(Target::host).thenComparingInt(Target::port));
        ctx.upstreams.put(id, new Upstream(id, source, Upstream.Algorithm.ROUND_ROBIN, null, null, targets, null, 0));
        ctx.services.put(id, new Service(id, source, id, Service.Protocol.HTTP, servicePath, hostHeader,
                Service.DEFAULT_RETRIES, Service.Timeouts.DEFAULT));
        return new Resolved(id, usableWeight, unusable);
    }

    /**
     * A backendRef {@code {group: gatehouse.dev, kind: Upstream, name}}: an accepted Upstream of the
     * route's namespace, or of another one that a ReferenceGrant opens to HTTPRoutes of the route's.
     * It has no {@code port}: its targets carry theirs.
     */
    private static Backend upstream(HTTPBackendRef ref, String field, Source source, ClusterState state,
                                    RouteProblems problems, HttpRouteExtensions extensions) {
        String ns = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? source.namespace() : ref.getNamespace();
        String name = ref.getName();
        if (name == null || name.isEmpty()) {
            problems.ref("BackendNotFound", field + ".name", "missing (expected: the name of an Upstream)");
            return null;
        }
        if (!ReferenceGrants.permits(state.gatewayApi(), ReferenceGrants.GATEWAY_GROUP, "HTTPRoute", source.namespace(),
                HttpRouteExtensions.GROUP, UPSTREAM_KIND, ns, name)) {
            problems.ref("RefNotPermitted", field, "Upstream " + ns + "/" + name + " is in another namespace and no "
                    + "ReferenceGrant in " + ns + " allows HTTPRoutes of " + source.namespace() + " to refer to it "
                    + "(expected: a ReferenceGrant in " + ns + " from HTTPRoute in " + source.namespace()
                    + " to gatehouse.dev Upstream)");
            return null;
        }
        dev.gatehouse.config.Upstream u = extensions.upstream(ns + "/" + name);
        if (u == null) {
            boolean exists = state.upstreams().stream().anyMatch(o -> Sources.key(o).equals(ns + "/" + name));
            problems.ref("BackendNotFound", field, "Upstream " + ns + "/" + name + (exists ? " is not accepted (its status "
                    + "says why)" : " not found") + "; its share of requests gets " + HttpRouteRules.NO_BACKEND);
            return null;
        }
        if (ref.getPort() != null) {
            problems.unsupported(field + ".port", ref.getPort() + " (expected: no port: the targets of Upstream " + ns + "/"
                    + name + " carry their ports); its share of requests gets " + HttpRouteRules.NO_BACKEND);
            return null;
        }
        long weight = ref.getWeight() == null ? 1 : ref.getWeight();
        if (weight < 0 || weight > MAX_ROUTE_WEIGHT) {
            problems.ref("UnsupportedValue", field + ".weight", weight + " (expected: 0.." + MAX_ROUTE_WEIGHT
                    + "); its share of requests is not served");
            return null;
        }
        return new Backend("upstream:" + u.id(), weight, List.of(), u.id(), field);
    }

    private static Backend backend(HTTPBackendRef ref, String field, Source source, ClusterState state, RouteProblems problems) {
        String group = Objects.requireNonNullElse(ref.getGroup(), "");
        String kind = Objects.requireNonNullElse(ref.getKind(), "Service");
        if (!group.isEmpty() || !kind.equals("Service")) {
            problems.ref("InvalidKind", field, "kind " + (group.isEmpty() ? "" : group + "/") + kind
                    + " is not supported (expected: a Service of the core group); its share of requests is not served");
            return null;
        }
        String ns = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? source.namespace() : ref.getNamespace();
        String name = ref.getName();
        if (name == null || name.isEmpty()) {
            problems.ref("BackendNotFound", field + ".name", "missing (expected: the name of a Service)");
            return null;
        }
        if (!ReferenceGrants.permits(state.gatewayApi(), ReferenceGrants.GATEWAY_GROUP, "HTTPRoute", source.namespace(),
                "", "Service", ns, name)) {
            problems.ref("RefNotPermitted", field, "Service " + ns + "/" + name + " is in another namespace and no "
                    + "ReferenceGrant in " + ns + " allows HTTPRoutes of " + source.namespace() + " to refer to it "
                    + "(expected: a ReferenceGrant in " + ns + " from HTTPRoute in " + source.namespace() + " to Service)");
            return null;
        }
        if (ref.getPort() == null) {
            problems.ref("BackendNotFound", field + ".port", "missing (expected: a port of Service " + ns + "/" + name + ")");
            return null;
        }
        io.fabric8.kubernetes.api.model.Service svc = EndpointTargets.service(state, ns, name);
        if (svc == null) {
            problems.ref("BackendNotFound", field, "Service " + ns + "/" + name + " not found");
            return null;
        }
        if (ref.getPort() < 1 || ref.getPort() > 65535) {
            problems.ref("BackendNotFound", field + ".port", ref.getPort() + " (expected: 1..65535)");
            return null;
        }
        long weight = ref.getWeight() == null ? 1 : ref.getWeight();
        if (weight < 0 || weight > MAX_ROUTE_WEIGHT) {
            problems.ref("UnsupportedValue", field + ".weight", weight + " (expected: 0.." + MAX_ROUTE_WEIGHT
                    + "); its share of requests is not served");
            return null;
        }
        boolean external = svc.getSpec() != null && "ExternalName".equals(svc.getSpec().getType());
        ServicePort sp = EndpointTargets.port(new IntOrString(ref.getPort()), svc);
        if (external) {
            String host = svc.getSpec().getExternalName();
            if (host == null || host.isEmpty()) {
                problems.ref("BackendNotFound", field, "ExternalName Service " + ns + "/" + name + " has no spec.externalName");
                return null;
            }
            return new Backend(ns + "/" + name + ":" + ref.getPort(), weight,
                    List.of(new Target(host, ref.getPort(), Target.DEFAULT_WEIGHT)));
        }
        if (sp == null) {
            problems.ref("BackendNotFound", field + ".port", "Service " + ns + "/" + name + " has no port " + ref.getPort());
            return null;
        }
        List<Target> targets = EndpointTargets.of(state, ns, name, Objects.requireNonNullElse(sp.getName(), ""));
        return new Backend(ns + "/" + name + ":" + sp.getPort(), weight, targets);
    }

    /**
     * Per-target weights that give each backend exactly its share ({@code weight / Σweight}) of a
     * weighted round robin, targets of one backend alike. A draining target (weight 0) stays at 0.
     * A backend without a ready target has no share to give: the others take its requests.
     */
    static List<Target> combine(List<Backend> backends) {
        BigInteger lcm = BigInteger.ONE;
        for (Backend b : backends) {
            long ready = ready(b);
            if (ready > 0) {
                lcm = lcm(lcm, BigInteger.valueOf(ready));
            }
        }
        // by address: two Services selecting the same pods on the same port add up on one target
        Map<String, BigInteger> raw = new LinkedHashMap<>();
        Map<String, Target> byAddress = new LinkedHashMap<>();
        for (Backend b : backends) {
            long ready = ready(b);
            for (Target t : b.targets()) {
                BigInteger w = t.weight() == 0 || ready == 0 ? BigInteger.ZERO
                        : BigInteger.valueOf(b.weight()).multiply(lcm).divide(BigInteger.valueOf(ready));
                raw.merge(t.address(), w, BigInteger::add);
                byAddress.putIfAbsent(t.address(), t);
            }
        }
        BigInteger gcd = BigInteger.ZERO;
        BigInteger max = BigInteger.ZERO;
        for (BigInteger w : raw.values()) {
            gcd = gcd.gcd(w);
            max = max.max(w);
        }
        List<Target> out = new ArrayList<>();
        if (gcd.signum() == 0) {
            byAddress.values().forEach(t -> out.add(new Target(t.host(), t.port(), 0)));
            return out;
        }
        BigInteger top = max.divide(gcd);
        BigInteger limit = BigInteger.valueOf(MAX_WEIGHT);
        for (Map.Entry<String, BigInteger> e : raw.entrySet()) {
            BigInteger w = e.getValue().divide(gcd);
            if (top.compareTo(limit) > 0 && w.signum() > 0) {
                // scaled to the limit, never to 0 for a target that has a share
                w = w.multiply(limit).add(top.shiftRight(1)).divide(top).max(BigInteger.ONE);
            }
            Target t = byAddress.get(e.getKey());
            out.add(new Target(t.host(), t.port(), w.intValueExact()));
        }
        return out;
    }

    private static long ready(Backend b) {
        return b.targets().stream().filter(t -> t.weight() > 0).count();
    }

    private static BigInteger lcm(BigInteger a, BigInteger b) {
        return a.divide(a.gcd(b)).multiply(b);
    }
}
