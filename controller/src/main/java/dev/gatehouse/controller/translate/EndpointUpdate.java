package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.api.v1alpha1.UpstreamSpec;
import dev.gatehouse.config.Snapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The last incremental translation, and what it takes to patch it for a change of Services or
 * EndpointSlices that reaches nothing but the Upstreams reading them: those Upstreams are
 * translated again alone ({@link UpstreamStep#one}, the same rules and the same kept outcomes as a
 * whole translation), and their snapshot objects and statuses replaced in the last translation.
 *
 * <p>Why that is the whole translation's result: every Upstream is the one last translated, or
 * a new object of the same incarnation and generation (a status write, the endpoint path's own
 * among them, hands out a new object with the same spec), so only what it reads from the Service and
 * its EndpointSlices can differ: its targets, their counts in its status, and its ResolvedRefs
 * condition. What later steps read of an Upstream is whether it was accepted (a GatewayService's
 * input), and that follows from the spec alone; it is checked anyway. A Service that a later step
 * reads (an Ingress or HTTPRoute backend: {@link TranslationContext#servicesReadLater}) is
 * declined: those steps combine targets across backends. One thread at a time, as the translator.
 */
final class EndpointUpdate {
    private Translation last;
    private final List<Upstream> upstreamList;
    private final Set<String> readLater;
    /** Indexes in {@link #upstreamList} of the Upstreams by the Service ({@code namespace/name}) their serviceRef names; made on first need. */
    private Map<String, List<Integer>> byService;
    /** Index of each snapshot upstream by id, and of each status by report key; made on first need. */
    private Map<String, Integer> upstreamAt;
    private Map<String, Integer> statusAt;

    EndpointUpdate(Translation last, ClusterState state, Set<String> readLater) {
        this.last = last;
        this.upstreamList = state.upstreams();
        this.readLater = Set.copyOf(readLater);
    }

    EndpointChange apply(ClusterState now, Set<String> services, TranslationMemo memo) {
        List<Upstream> current = now.upstreams();
        if (!IndexedList.sameItems(current, upstreamList) && !sameSpecs(upstreamList, current)) {
            return EndpointChange.fallback("upstreams-changed");
        }
        Map<Upstream, Upstream> affected = new IdentityHashMap<>(); // now's object → the one last translated
        for (String service : services) {
            if (service == null) {
                return EndpointChange.fallback("unlabelled-slice");
            }
            if (readLater.contains(service)) {
                return EndpointChange.fallback("read-by-ingress-or-gateway-api");
            }
            for (int i : byService().getOrDefault(service, List.of())) {
                affected.put(current.get(i), upstreamList.get(i));
            }
        }
        if (affected.isEmpty()) {
            return EndpointChange.NOTHING;
        }
        TranslationContext ctx = new TranslationContext();
        ctx.memo = memo;
        List<dev.gatehouse.config.Upstream> upstreams = new ArrayList<>(last.snapshot().upstreams());
        List<ObjectStatus> statuses = new ArrayList<>(last.statuses());
        int[] touched = new int[affected.size()];
        int t = 0;
        for (Map.Entry<Upstream, Upstream> a : affected.entrySet()) {
            Upstream u = a.getKey();
            TranslationMemo.Entry before = memo.upstreams.of(u);
            if (before == null) {
                before = memo.upstreams.of(a.getValue());
            }
            if (before == null) {
                return EndpointChange.fallback("no-kept-outcome"); // two Upstreams of one name share a report
            }
            ObjectReport report = UpstreamStep.one(u, now, ctx);
            if ((before.output == null) != report.isInvalid()) {
                return EndpointChange.fallback("acceptance-changed");
            }
            Integer statusIndex = statusAt().get(TranslationContext.reportKey(u));
            if (statusIndex == null) {
                return EndpointChange.fallback("no-status");
            }
            statuses.set(statusIndex, report.toStatus());
            touched[t++] = statusIndex;
            if (!report.isInvalid()) {
                dev.gatehouse.config.Upstream built = ctx.upstreams.get(report.source.key());
                Integer at = upstreamAt().get(built.id());
                if (at == null) {
                    return EndpointChange.fallback("no-snapshot-upstream");
                }
                upstreams.set(at, built);
            }
        }
        Snapshot s = last.snapshot();
        Translation base = last;
        Translation next = new Translation(new Snapshot(s.version(), s.services(), s.routes(), upstreams, s.consumers(),
                s.certificates()), statuses, last.defaultCertificate(), last.gatewayApi());
        last = next;
        return new EndpointChange(next, affected.size(), null, base, java.util.Arrays.stream(touched, 0, t).sorted().distinct()
                .toArray());
    }

    /**
     * Whether {@code now} holds the Upstreams of {@code last}, in the same order, each the same
     * object or one that translates as it ({@link Sources#sameSpec}): a status write, the most
     * frequent change of an Upstream, is no change here.
     */
    static boolean sameSpecs(List<Upstream> last, List<Upstream> now) {
        if (last.size() != now.size()) {
            return false;
        }
        for (int i = 0; i < last.size(); i++) {
            if (!Sources.sameSpec(last.get(i), now.get(i))) {
                return false;
            }
        }
        return true;
    }

    private Map<String, List<Integer>> byService() {
        if (byService == null) {
            Map<String, List<Integer>> m = new HashMap<>();
            for (int i = 0; i < upstreamList.size(); i++) {
                Upstream u = upstreamList.get(i);
                UpstreamSpec spec = u.getSpec();
                if (spec != null && spec.serviceRef != null && spec.serviceRef.name != null) {
                    String ns = Sources.namespace(u);
                    String refNs = spec.serviceRef.namespace;
                    if (refNs == null || refNs.isEmpty() || refNs.equals(ns)) {
                        m.computeIfAbsent(ns + "/" + spec.serviceRef.name, k -> new ArrayList<>(1)).add(i);
                    }
                }
            }
            byService = m;
        }
        return byService;
    }

    private Map<String, Integer> upstreamAt() {
        if (upstreamAt == null) {
            List<dev.gatehouse.config.Upstream> list = last.snapshot().upstreams();
            Map<String, Integer> m = new HashMap<>(list.size() * 2);
            for (int i = 0; i < list.size(); i++) {
                m.put(list.get(i).id(), i);
            }
            upstreamAt = m;
        }
        return upstreamAt;
    }

    private Map<String, Integer> statusAt() {
        if (statusAt == null) {
            List<ObjectStatus> list = last.statuses();
            Map<String, Integer> m = new HashMap<>(list.size() * 2);
            for (int i = 0; i < list.size(); i++) {
                ObjectStatus st = list.get(i);
                if (Objects.equals(st.source().kind(), "Upstream")) {
                    m.put(st.source().kind() + "/" + st.source().namespace() + "/" + st.source().name(), i);
                }
            }
            statusAt = m;
        }
        return statusAt;
    }
}
