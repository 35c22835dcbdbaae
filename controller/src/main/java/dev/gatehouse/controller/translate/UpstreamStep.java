package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.UpstreamSpec;
import dev.gatehouse.config.Durations;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.Upstream.Target;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** Upstream objects → snapshot upstreams; targets from {@code spec.targets} and EndpointSlices. */
final class UpstreamStep {
    private UpstreamStep() {
    }

    static void run(ClusterState state, TranslationContext ctx) {
        for (dev.gatehouse.api.v1alpha1.Upstream u : ctx.sorted(ctx.memo == null ? null : ctx.memo.upstreams, state.upstreams())) {
            one(u, state, ctx);
        }
    }

    /**
     * One Upstream: its kept outcome when its inputs are those it was made from, else translated
     * anew (and kept); an accepted one goes into {@code ctx.upstreams}. Also how an EndpointSlice
     * change re-derives the targets of just the Upstreams that read it ({@link EndpointUpdate}).
     *
     * @return its report in {@code ctx}
     */
    static ObjectReport one(dev.gatehouse.api.v1alpha1.Upstream u, ClusterState state, TranslationContext ctx) {
        TranslationMemo.Entry kept = null;
        Object[] deps = null;
        ObjectReport report = null;
        if (ctx.memo != null) {
            deps = inputs(u, state);
            kept = ctx.memo.upstreams.find(u, deps);
            report = kept == null ? null : ctx.reuse(kept);
        }
        Upstream built;
        if (report != null) {
            built = (Upstream) kept.output;
        } else {
            boolean keep = ctx.keeps(u);
            report = ctx.report(u);
            built = build(u, state, report);
            if (keep) {
                ctx.memo.upstreams.put(u, deps, built, report, null);
            }
        }
        if (!report.isInvalid()) {
            ctx.upstreams.put(report.source.key(), built);
            report.targets = built.targets().size();
            report.readyTargets = (int) built.targets().stream().filter(t -> t.weight() > 0).count();
        }
        return report;
    }

    /**
     * What an Upstream's translation reads beyond the object: the Service its {@code serviceRef}
     * names (null when there is none) and that Service's EndpointSlices, looked up as
     * {@link #build} does (so {@link ClusterState#servicesReferenced()} is the same either way).
     */
    static Object[] inputs(dev.gatehouse.api.v1alpha1.Upstream u, ClusterState state) {
        UpstreamSpec spec = u.getSpec();
        if (spec == null || spec.serviceRef == null) {
            return NO_INPUTS;
        }
        String ns = Sources.namespace(u);
        UpstreamSpec.ServiceRef ref = spec.serviceRef;
        if (ref.namespace != null && !ref.namespace.isEmpty() && !ref.namespace.equals(ns)) {
            return NO_INPUTS;
        }
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slices = state.endpointSlicesOf(ns, ref.name);
        Object[] deps = new Object[1 + slices.size()];
        deps[0] = state.kubeService(ns, ref.name);
        for (int i = 0; i < slices.size(); i++) {
            deps[i + 1] = slices.get(i);
        }
        return deps;
    }

    static final Object[] NO_INPUTS = new Object[0];

    private static Upstream build(dev.gatehouse.api.v1alpha1.Upstream u, ClusterState state, ObjectReport report) {
        UpstreamSpec spec = u.getSpec();
        Source source = report.source;
        if (spec == null) {
            report.invalid("spec", "missing (expected: targets or serviceRef)");
            return null;
        }
        Upstream.Algorithm algorithm = switch (Objects.requireNonNullElse(spec.algorithm, UpstreamSpec.Algorithm.RoundRobin)) {
            case RoundRobin -> Upstream.Algorithm.ROUND_ROBIN;
            case LeastConnections -> Upstream.Algorithm.LEAST_CONNECTIONS;
            case ConsistentHash -> Upstream.Algorithm.CONSISTENT_HASH;
            case LeastLatency -> Upstream.Algorithm.LEAST_LATENCY;
        };
        Upstream.HashOn hashOn = hashOn(spec.hashOn, "spec.hashOn", report);
        Upstream.HashOn fallback = hashOn(spec.hashFallback, "spec.hashFallback", report);
        // a hashOn that is there but wrong was reported above, field by field: not "missing" too
        if (algorithm == Upstream.Algorithm.CONSISTENT_HASH && spec.hashOn == null) {
            report.invalid("spec.hashOn", "missing (expected: a hash source when algorithm is ConsistentHash)");
        }

        Map<String, Target> targets = new LinkedHashMap<>();
        List<UpstreamSpec.Target> declared = Objects.requireNonNullElse(spec.targets, List.of());
        for (int i = 0; i < declared.size(); i++) {
            UpstreamSpec.Target t = declared.get(i);
            int weight = t.weight == null ? Target.DEFAULT_WEIGHT : t.weight;
            if (weight < 0 || weight > Target.MAX_WEIGHT) {
                report.invalid("spec.targets[" + i + "].weight", weight + " (expected: 0.." + Target.MAX_WEIGHT + ")");
                continue;
            }
            try {
                Target target = Addresses.parse(t.address, weight);
                if (targets.putIfAbsent(target.address(), target) != null) {
                    report.invalid("spec.targets[" + i + "].address", "\"" + t.address + "\" is listed twice (expected: each target once)");
                }
            } catch (IllegalArgumentException e) {
                report.invalid("spec.targets[" + i + "].address", e.getMessage());
            }
        }
        if (spec.serviceRef != null) {
            for (Target t : endpointTargets(spec.serviceRef, source, state, report)) {
                targets.putIfAbsent(t.address(), t);
            }
        }

        long slowStart = duration(spec.slowStart, 0, "spec.slowStart", report);
        Upstream.HealthChecks checks = healthChecks(spec.healthChecks, report);
        List<Target> sorted = new ArrayList<>(targets.values());
        sorted.sort(Comparator.comparing(Target::host).thenComparingInt(Target::port));
        return new Upstream(source.key(), source, algorithm, hashOn, fallback, sorted, checks, slowStart,
                stickyCookie(spec.hashOn, report));
    }

    /** The sticky cookie's attributes when {@code hashOn} is a cookie and sets any; else null (defaults). */
    private static Upstream.StickyCookie stickyCookie(UpstreamSpec.HashOn h, ObjectReport report) {
        if (h == null || h.source != UpstreamSpec.HashSource.Cookie
                || (h.cookieTtl == null && h.cookiePath == null && h.cookieSameSite == null && h.cookieSecure == null)) {
            return null;
        }
        if (h.cookiePath != null && !h.cookiePath.startsWith("/")) {
            report.invalid("spec.hashOn.cookiePath", "\"" + h.cookiePath + "\" (expected: a path starting with /)");
        }
        return new Upstream.StickyCookie(duration(h.cookieTtl, 0, "spec.hashOn.cookieTtl", report), h.cookiePath,
                h.cookieSameSite == null ? null : h.cookieSameSite.name(), Boolean.TRUE.equals(h.cookieSecure));
    }

    private static Upstream.HashOn hashOn(UpstreamSpec.HashOn h, String field, ObjectReport report) {
        if (h == null) {
            return null;
        }
        if (h.source == null) {
            report.invalid(field + ".source", "missing (expected: ClientIP, Header, Cookie, Consumer, Path or QueryParam)");
            return null;
        }
        Upstream.HashSource source = switch (h.source) {
            case ClientIP -> Upstream.HashSource.CLIENT_IP;
            case Header -> Upstream.HashSource.HEADER;
            case Cookie -> Upstream.HashSource.COOKIE;
            case Consumer -> Upstream.HashSource.CONSUMER;
            case Path -> Upstream.HashSource.PATH;
            case QueryParam -> Upstream.HashSource.QUERY_PARAM;
        };
        boolean named = source == Upstream.HashSource.HEADER || source == Upstream.HashSource.COOKIE
                || source == Upstream.HashSource.QUERY_PARAM;
        if (named && (h.name == null || h.name.isBlank())) {
            report.invalid(field + ".name", "missing (expected: the name to hash on when source is " + h.source + ")");
            return null;
        }
        String name = named ? (source == Upstream.HashSource.HEADER ? h.name.toLowerCase(Locale.ROOT) : h.name) : null;
        return new Upstream.HashOn(source, name);
    }

    private static List<Target> endpointTargets(UpstreamSpec.ServiceRef ref, Source source, ClusterState state,
                                                ObjectReport report) {
        if (ref.namespace != null && !ref.namespace.isEmpty() && !ref.namespace.equals(source.namespace())) {
            report.unresolved(Reason.RefNotPermitted, "spec.serviceRef.namespace",
                    "\"" + ref.namespace + "\" is another namespace (expected: empty or " + source.namespace() + ")");
            return List.of();
        }
        String serviceKey = source.namespace() + "/" + ref.name;
        Service svc = EndpointTargets.service(state, source.namespace(), ref.name);
        if (svc == null) {
            report.unresolved(Reason.RefNotFound, "spec.serviceRef.name", "Service " + serviceKey + " not found");
            return List.of();
        }
        ServicePort port = EndpointTargets.port(ref.port, svc);
        if (port == null) {
            report.unresolved(Reason.RefNotFound, "spec.serviceRef.port",
                    "Service " + serviceKey + " has no port " + (ref.port == null ? "" : EndpointTargets.portText(ref.port)));
            return List.of();
        }
        return EndpointTargets.of(state, source.namespace(), ref.name, Objects.requireNonNullElse(port.getName(), ""));
    }

    private static Upstream.HealthChecks healthChecks(UpstreamSpec.HealthChecks h, ObjectReport report) {
        if (h == null || (h.active == null && h.passive == null && h.failOpen == null)) {
            return null;
        }
        Upstream.Active active = null;
        if (h.active != null) {
            UpstreamSpec.ActiveCheck a = h.active;
            String path = Objects.requireNonNullElse(a.path, "/");
            if (!path.startsWith("/")) {
                report.invalid("spec.healthChecks.active.path", "\"" + path + "\" (expected: a path starting with /)");
            }
            int healthy = Objects.requireNonNullElse(a.healthyThreshold, 2);
            int unhealthy = Objects.requireNonNullElse(a.unhealthyThreshold, 3);
            if (healthy < 1) {
                report.invalid("spec.healthChecks.active.healthyThreshold", healthy + " (expected: >= 1)");
            }
            if (unhealthy < 1) {
                report.invalid("spec.healthChecks.active.unhealthyThreshold", unhealthy + " (expected: >= 1)");
            }
            List<Integer> statuses = Objects.requireNonNullElse(a.healthyStatuses, List.of());
            for (int i = 0; i < statuses.size(); i++) {
                Integer s = statuses.get(i);
                if (s == null || s < 100 || s > 599) {
                    report.invalid("spec.healthChecks.active.healthyStatuses[" + i + "]", s + " (expected: 100..599)");
                }
            }
            active = new Upstream.Active(path, duration(a.interval, 5_000, "spec.healthChecks.active.interval", report),
                    duration(a.timeout, 1_000, "spec.healthChecks.active.timeout", report), healthy, unhealthy,
                    statuses.stream().filter(Objects::nonNull).sorted().toList());
        }
        Upstream.Passive passive = null;
        if (h.passive != null) {
            UpstreamSpec.PassiveCheck p = h.passive;
            int failures = Objects.requireNonNullElse(p.consecutiveFailures, 5);
            int maxPercent = Objects.requireNonNullElse(p.maxEjectionPercent, 50);
            if (failures < 1) {
                report.invalid("spec.healthChecks.passive.consecutiveFailures", failures + " (expected: >= 1)");
            }
            if (maxPercent < 0 || maxPercent > Upstream.Passive.MAX_EJECTION_PERCENT) {
                report.invalid("spec.healthChecks.passive.maxEjectionPercent",
                        maxPercent + " (expected: 0.." + Upstream.Passive.MAX_EJECTION_PERCENT + ")");
            }
            passive = new Upstream.Passive(failures,
                    duration(p.ejectionTime, 30_000, "spec.healthChecks.passive.ejectionTime", report), maxPercent);
        }
        return new Upstream.HealthChecks(active, passive, h.failOpen);
    }

    static long duration(String text, long defaultMillis, String field, ObjectReport report) {
        if (text == null) {
            return defaultMillis;
        }
        try {
            return Durations.parseMillis(text);
        } catch (IllegalArgumentException e) {
            report.invalid(field, e.getMessage());
            return defaultMillis;
        }
    }
}
