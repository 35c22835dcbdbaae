package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** GatewayService objects → snapshot services; a {@code url} service gets an upstream of its own. */
final class ServiceStep {
    private ServiceStep() {
    }

    /**
     * The step's whole outcome, to replay when it would read the same again: the same list of
     * GatewayServices (the kept cluster state hands the same list while the kind does not change)
     * and the same Upstreams accepted by the step before (all a GatewayService reads beyond itself).
     */
    static final class Outcome {
        private final TranslationMemo.StepOutcome step;
        private final List<String> upstreamsAccepted;
        private final Map<String, String> unusable;
        private final Map<String, dev.gatehouse.api.v1alpha1.Plugins> plugins;
        /** The Upstreams of url services, which the step adds to the accepted ones. */
        private final Map<String, Upstream> own;

        private Outcome(TranslationMemo.StepOutcome step, List<String> upstreamsAccepted, TranslationContext ctx) {
            this.step = step;
            this.upstreamsAccepted = upstreamsAccepted;
            this.unusable = Map.copyOf(ctx.unusableServices);
            this.plugins = new java.util.HashMap<>(ctx.servicePlugins); // values may be null: no plugins
            java.util.Set<String> before = new java.util.HashSet<>(upstreamsAccepted);
            Map<String, Upstream> added = new java.util.HashMap<>();
            ctx.upstreams.forEach((id, u) -> {
                if (!before.contains(id)) {
                    added.put(id, u);
                }
            });
            this.own = Map.copyOf(added);
        }

        private boolean readFrom(List<GatewayService> services, List<String> upstreams) {
            return step.readFrom(services) && upstreamsAccepted.equals(upstreams);
        }

        private void replay(TranslationContext ctx) {
            step.replay(ctx, ctx.services);
            ctx.unusableServices.putAll(unusable);
            ctx.servicePlugins.putAll(plugins);
            ctx.upstreams.putAll(own);
        }
    }

    /**
     * With a memo whose last pass read the same GatewayServices and found the same Upstreams
     * accepted (a route edit, a Consumer change, an endpoint change), the step's outcome is the
     * last one ({@link Outcome}): replayed in O(services) copies without a look-up. Otherwise each
     * GatewayService's kept outcome is reused as usual.
     */
    static void run(ClusterState state, TranslationContext ctx) {
        if (ctx.memo == null) {
            walk(state, ctx);
            return;
        }
        List<String> upstreams = List.copyOf(ctx.upstreams.keySet());
        Outcome last = ctx.memo.serviceStep;
        if (last != null && last.readFrom(state.services(), upstreams)) {
            last.replay(ctx);
            ctx.memo.services.keepAll();
            ctx.memo.serviceStepReplays++;
            return;
        }
        List<GatewayService> walked = walk(state, ctx);
        ctx.memo.serviceStep = new Outcome(TranslationMemo.StepOutcome.of(ctx, walked, ctx.services, java.util.Set.of(),
                state.services()), upstreams, ctx);
    }

    /** Every GatewayService, each reusing its kept outcome when it may; returns them in the order walked. */
    private static List<GatewayService> walk(ClusterState state, TranslationContext ctx) {
        List<GatewayService> services = ctx.sorted(ctx.memo == null ? null : ctx.memo.services, state.services());
        for (GatewayService gs : services) {
            TranslationMemo.Entry kept = null;
            Object[] deps = null;
            ObjectReport report = null;
            if (ctx.memo != null) {
                deps = inputs(gs, ctx);
                kept = ctx.memo.services.find(gs, deps);
                report = kept == null ? null : ctx.reuse(kept);
            }
            Service built;
            if (report != null) {
                built = (Service) kept.output;
                if (kept.extra != null) {
                    Upstream own = (Upstream) kept.extra;
                    ctx.upstreams.put(own.id(), own);
                }
            } else {
                boolean keep = ctx.keeps(gs);
                report = ctx.report(gs);
                built = build(gs.getSpec(), report, ctx);
                if (keep) {
                    Upstream own = built == null || built.upstream() == null || !built.upstream().endsWith("#url") ? null
                            : ctx.upstreams.get(built.upstream());
                    ctx.memo.services.put(gs, deps, built, report, own);
                }
            }
            String key = report.source.key();
            if (report.isInvalid()) {
                ctx.unusableServices.put(key, "GatewayService " + key + " is not accepted");
            } else if (built == null) {
                ctx.unusableServices.put(key, "GatewayService " + key + " has an unresolved reference");
            } else {
                ctx.services.put(key, built);
                ctx.servicePlugins.put(key, gs.getSpec().plugins);
            }
        }
        return services;
    }

    /** What a GatewayService's translation reads beyond the object: whether the Upstream it names was accepted. */
    static Object[] inputs(GatewayService gs, TranslationContext ctx) {
        GatewayServiceSpec spec = gs.getSpec();
        if (spec == null || spec.upstreamRef == null) {
            return UpstreamStep.NO_INPUTS;
        }
        return new Object[] {ctx.upstreams.containsKey(Sources.namespace(gs) + "/" + spec.upstreamRef.name)};
    }

    private static Service build(GatewayServiceSpec spec, ObjectReport report, TranslationContext ctx) {
        Source source = report.source;
        if (spec == null) {
            report.invalid("spec", "missing (expected: upstreamRef or url)");
            return null;
        }
        if ((spec.upstreamRef == null) == (spec.url == null)) {
            report.invalid("spec", "exactly one of upstreamRef or url must be set (found "
                    + (spec.url == null ? "neither" : "both") + ")");
            return null;
        }
        int retries = Objects.requireNonNullElse(spec.retries, Service.DEFAULT_RETRIES);
        if (retries < 0) {
            report.invalid("spec.retries", retries + " (expected: >= 0)");
        }
        Service.RetryBudget retryBudget = retryBudget(spec.retryBudget, report);
        Service.Timeouts timeouts = Service.Timeouts.DEFAULT;
        if (spec.timeouts != null) {
            timeouts = new Service.Timeouts(
                    positive(spec.timeouts.connect, "spec.timeouts.connect", report),
                    positive(spec.timeouts.read, "spec.timeouts.read", report),
                    positive(spec.timeouts.write, "spec.timeouts.write", report));
        }
        if (spec.path != null && !spec.path.startsWith("/")) {
            report.invalid("spec.path", "\"" + spec.path + "\" (expected: a path starting with /)");
        }
        if (spec.plugins != null) {
            RouteStep.checkKeyAuth(spec.plugins.keyAuth, report);
        }
        Service.Protocol protocol = spec.protocol == null ? Service.Protocol.HTTP : switch (spec.protocol) {
            case http -> Service.Protocol.HTTP;
            case https -> Service.Protocol.HTTPS;
            case h2c -> Service.Protocol.H2C;
            case grpc -> Service.Protocol.GRPC;
            case grpcs -> Service.Protocol.GRPCS;
        };

        if (spec.url != null) {
            URI uri = parseUrl(spec.url, report);
            if (uri == null || report.isInvalid()) {
                return null;
            }
            boolean https = "https".equalsIgnoreCase(uri.getScheme());
            int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
            String upstreamId = source.key() + "#url";
            ctx.upstreams.put(upstreamId, new Upstream(upstreamId, source, Upstream.Algorithm.ROUND_ROBIN, null, null,
                    List.of(new Upstream.Target(uri.getHost(), port, Upstream.Target.DEFAULT_WEIGHT)), null, 0));
            String path = spec.path != null ? spec.path : uri.getRawPath();
            String hostHeader = uri.getPort() > 0 && uri.getPort() != (https ? 443 : 80) ? uri.getHost() + ":" + port : uri.getHost();
            return new Service(source.key(), source, upstreamId, spec.protocol != null ? protocol
                    : https ? Service.Protocol.HTTPS : Service.Protocol.HTTP, normalizePath(path), hostHeader, retries, timeouts, retryBudget);
        }

        ObjectRef ref = spec.upstreamRef;
        if (!RouteStep.sameNamespace(ref, "spec.upstreamRef", report)) {
            return null;
        }
        String upstreamId = source.namespace() + "/" + ref.name;
        if (!ctx.upstreams.containsKey(upstreamId)) {
            report.unresolved(Reason.RefNotFound, "spec.upstreamRef.name",
                    "Upstream " + upstreamId + " not found or not accepted");
            return null;
        }
        if (report.isInvalid()) {
            return null;
        }
        return new Service(source.key(), source, upstreamId, protocol, normalizePath(spec.path), null, retries, timeouts,
                retryBudget);
    }

    /** {@code spec.retryBudget} with each missing field at its default (the CRD schema's defaults, for local mode). */
    private static Service.RetryBudget retryBudget(GatewayServiceSpec.RetryBudget spec, ObjectReport report) {
        if (spec == null) {
            return Service.RetryBudget.DEFAULT;
        }
        int percent = Objects.requireNonNullElse(spec.percent, Service.RetryBudget.DEFAULT_PERCENT);
        int min = Objects.requireNonNullElse(spec.minConcurrency, Service.RetryBudget.DEFAULT_MIN_CONCURRENCY);
        if (percent < 0 || percent > Service.RetryBudget.MAX_PERCENT) {
            report.invalid("spec.retryBudget.percent", percent + " (expected: 0.." + Service.RetryBudget.MAX_PERCENT
                    + ", the share of requests in flight that may be retries; default " + Service.RetryBudget.DEFAULT_PERCENT + ")");
        }
        if (min < 0) {
            report.invalid("spec.retryBudget.minConcurrency", min + " (expected: >= 0, the retries always allowed in flight; default "
                    + Service.RetryBudget.DEFAULT_MIN_CONCURRENCY + ")");
        }
        return new Service.RetryBudget(percent, min);
    }

    private static URI parseUrl(String url, ObjectReport report) {
        String expected = " (expected: http(s)://host[:port][/path], e.g. http://httpbin.internal:80/base)";
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                report.invalid("spec.url", "\"" + url + "\": scheme must be http or https" + expected);
            } else if (uri.getHost() == null) {
                report.invalid("spec.url", "\"" + url + "\" has no host" + expected);
            } else if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                report.invalid("spec.url", "\"" + url + "\" has a query, fragment or user info" + expected);
            } else {
                return uri;
            }
        } catch (URISyntaxException e) {
            report.invalid("spec.url", "\"" + url + "\" is not a URL: " + e.getReason() + expected);
        }
        return null;
    }

    private static long positive(String text, String field, ObjectReport report) {
        long millis = UpstreamStep.duration(text, 60_000, field, report);
        if (millis <= 0) {
            report.invalid(field, "\"" + text + "\" (expected: a duration > 0)");
            return 60_000;
        }
        return millis;
    }

    /** {@code /} when empty; otherwise without trailing slashes, so joining never doubles one. */
    static String normalizePath(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
