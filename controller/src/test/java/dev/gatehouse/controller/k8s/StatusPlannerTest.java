package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayStatus;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.EndpointChange;
import dev.gatehouse.controller.translate.GatewaySelection;
import dev.gatehouse.controller.translate.IncrementalTranslator;
import dev.gatehouse.controller.translate.IngressSelection;
import dev.gatehouse.controller.translate.StatusCondition;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.translate.Translation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterProperty;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A narrowed status plan gives the writes a full one gives. Two planners see the same random
 * sequence of changes: endpoint changes through the real endpoint path ({@link IncrementalTranslator#endpoints},
 * its touched statuses handed on as the controller does, several offers between two plans unioned),
 * route edits and Upstream spec edits (a rebuild, whose statuses the narrowing planner compares with
 * those it planned last), status writes coming back through the cache
 * (echoes, late and out of order), proxies acknowledging versions, connecting, leaving and refusing,
 * writes the API server refuses (retried after their backoff) and the clock moving on. One planner
 * gets what the endpoint path touched and narrows where it can; the other always plans in full.
 * After every plan both write, through {@link StatusWriter#wanted} as the updater does, and the
 * writes (object, status, order) must be the same. Counted over all tries: narrowed plans were
 * made, after endpoint changes and after rebuilds, and looked at fewer objects than full ones.
 */
class StatusPlannerTest {
    static final KubernetesSerialization JSON = new KubernetesSerialization();
    static final int UPSTREAMS = 6;
    static final int SERVICES = 4;
    static final int ROUTES = 8;
    static final String NS = "default";
    static final TlsSettings TLS = new TlsSettings(null, Instant.parse("2026-12-01T00:00:00Z"), null);

    static final AtomicLong NARROWED = new AtomicLong();
    static final AtomicLong NARROWED_AFTER_REBUILD = new AtomicLong();
    static final AtomicLong NARROWED_PLANNED = new AtomicLong();
    static final AtomicLong FULL = new AtomicLong();
    static final AtomicLong FULL_PLANNED = new AtomicLong();
    static final AtomicLong WRITES = new AtomicLong();

    @AfterProperty
    void narrowedPlansWereMadeAndLookedAtLess() {
        assertThat(NARROWED.get()).as("narrowed plans").isGreaterThan(500);
        assertThat(NARROWED_AFTER_REBUILD.get()).as("narrowed plans after a rebuild (a route or Upstream edit)").isGreaterThan(100);
        assertThat(WRITES.get()).as("writes compared").isGreaterThan(1000);
        assertThat(NARROWED_PLANNED.get() / (double) NARROWED.get()).as("objects per narrowed plan")
                .isLessThan(FULL_PLANNED.get() / (double) FULL.get() / 2);
    }

    /** The proxies: each one's last acknowledged version and last refusal; -1: not connected. */
    static final class Proxies implements ProxyFleet {
        final long[] acked = new long[3];
        final long[] refused = new long[3];
        final String[] refusedUid = new String[3];

        Proxies() {
            java.util.Arrays.fill(acked, -1);
        }

        @Override
        public int connected() {
            int n = 0;
            for (long a : acked) {
                n += a >= 0 ? 1 : 0;
            }
            return n;
        }

        @Override
        public int ackedAtLeast(long version) {
            int n = 0;
            for (long a : acked) {
                n += a >= 0 && a >= version ? 1 : 0;
            }
            return n;
        }

        @Override
        public Map<String, String> rejections(long version) {
            Map<String, String> out = new HashMap<>();
            for (int i = 0; i < acked.length; i++) {
                if (acked[i] >= 0 && refused[i] == version && refusedUid[i] != null) {
                    out.merge(refusedUid[i], "proxy p" + i + ": spec: refused", (a, b) -> a + "; " + b);
                }
            }
            return out;
        }
    }

    /** One planner with its own view of what objects show, and the writes it made at the last plan. */
    static final class Runner {
        final StatusShown shown = new StatusShown();
        final StatusPlanner planner = new StatusPlanner(shown);
        final List<String> writes = new ArrayList<>();
    }

    /** The API server's objects by key, in a fixed order per kind; a kind's list is made again only when it changed. */
    final Map<String, HasMetadata> api = new LinkedHashMap<>();
    final Map<String, List<HasMetadata>> lists = new HashMap<>();
    long resourceVersion = 100;

    static HasMetadata parse(String yaml) {
        return ManifestReader.read("x.yaml", yaml).objects().get(0);
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    HasMetadata put(HasMetadata o, String uid, long generation) {
        String key = o.getKind() + "/" + NS + "/" + o.getMetadata().getName();
        if (api.get(key) instanceof CustomResource held && o instanceof CustomResource edited) {
            edited.setStatus(held.getStatus()); // a spec edit keeps the status, as on the API server
        }
        o.getMetadata().setUid(uid);
        o.getMetadata().setGeneration(generation);
        o.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
        api.put(key, o);
        lists.remove(o.getKind());
        return o;
    }

    @SuppressWarnings("unchecked")
    <T> List<T> list(String kind) {
        return (List<T>) lists.computeIfAbsent(kind, k -> api.values().stream().filter(o -> o.getKind().equals(k)).toList());
    }

    ClusterState state() {
        return new ClusterState(list("Upstream"), list("GatewayService"), list("GatewayRoute"), List.of(), list("Service"),
                list("EndpointSlice"), List.of());
    }

    void slice(int i, int endpoints, int ready) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: svc-%d-1, namespace: default, labels: {kubernetes.io/service-name: svc-%d}}
                addressType: IPv4
                ports: [{name: http, port: 8080}]
                endpoints:
                """.formatted(i, i));
        for (int e = 0; e < endpoints; e++) {
            yaml.append("  - {addresses: [\"10.0.").append(i).append('.').append(e + 1).append("\"], conditions: {ready: ")
                    .append(e < ready).append("}}\n");
        }
        put(parse(yaml.toString()), "uid-slice-" + i, 1);
    }

    void upstream(int i, long generation) {
        put(parse("""
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: u-%d, namespace: default}
                spec: {serviceRef: {name: svc-%d, port: http}, slowStart: "%ds"}
                """.formatted(i, i, generation)), "uid-u-" + i, generation);
    }

    void route(int i, long generation) {
        put(parse("""
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: r-%d, namespace: default}
                spec: {serviceRef: {name: gs-%d}, paths: ["/p%d"], priority: %d}
                """.formatted(i, i % SERVICES, i, generation)), "uid-r-" + i, generation);
    }

    void cluster() {
        for (int i = 0; i < UPSTREAMS; i++) {
            put(parse("""
                    apiVersion: v1
                    kind: Service
                    metadata: {name: svc-%d, namespace: default}
                    spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
                    """.formatted(i)), "uid-svc-" + i, 1);
            slice(i, 3, 3);
            upstream(i, 1);
        }
        for (int i = 0; i < SERVICES; i++) {
            put(parse("""
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: GatewayService
                    metadata: {name: gs-%d, namespace: default}
                    spec: {upstreamRef: {name: u-%d}}
                    """.formatted(i, i)), "uid-gs-" + i, 1);
        }
        for (int i = 0; i < ROUTES; i++) {
            route(i, 1);
        }
    }

    @Property(tries = 60)
    void aNarrowedPlanWritesWhatAFullPlanWrites(@ForAll long seed) {
        Random random = new Random(seed);
        api.clear();
        lists.clear();
        cluster();
        IncrementalTranslator translator = new IncrementalTranslator(Integer.MAX_VALUE);
        Proxies proxies = new Proxies();
        Runner narrowing = new Runner();
        Runner full = new Runner();
        long version = 1;
        StatusUpdater.Desired latest = new StatusUpdater.Desired(state(), translator.translate(state(), IngressSelection.DEFAULT,
                GatewaySelection.DEFAULT, TLS), version, null);
        Set<Integer> touched = null; // null: a whole translation since the last plan
        List<HasMetadata> echoes = new ArrayList<>(); // written, not yet back in the cache
        long now = TimeUnit.SECONDS.toNanos(1);
        for (int step = 0; step < 80; step++) {
            int op = random.nextInt(12);
            if (op <= 3) { // pods roll: an endpoint change through the endpoint path
                int u = random.nextInt(UPSTREAMS);
                int n = 1 + random.nextInt(4);
                slice(u, n, random.nextInt(n + 1));
                ClusterState state = state();
                EndpointChange change = translator.endpoints(state, Set.of(NS + "/svc-" + u));
                if (change.needsFullTranslation()) {
                    latest = new StatusUpdater.Desired(state, translator.translate(state, IngressSelection.DEFAULT,
                            GatewaySelection.DEFAULT, TLS), ++version, null);
                    touched = null;
                } else if (change.translation() != null) {
                    assertThat(change.base()).isSameAs(latest.translation());
                    latest = new StatusUpdater.Desired(state, change.translation(), ++version, null,
                            new StatusUpdater.Touched(change.base(), change.touched()));
                    if (touched != null) {
                        for (int i : change.touched()) {
                            touched.add(i);
                        }
                    }
                }
            } else if (op == 4) { // a route or Upstream edited: a rebuild
                if (random.nextBoolean()) {
                    int r = random.nextInt(ROUTES);
                    route(r, api.get("GatewayRoute/" + NS + "/r-" + r).getMetadata().getGeneration() + 1);
                } else {
                    int u = random.nextInt(UPSTREAMS);
                    upstream(u, api.get("Upstream/" + NS + "/u-" + u).getMetadata().getGeneration() + 1);
                }
                ClusterState state = state();
                latest = new StatusUpdater.Desired(state, translator.translate(state, IngressSelection.DEFAULT,
                        GatewaySelection.DEFAULT, TLS), ++version, null);
                touched = null;
            } else if (op == 5 && !echoes.isEmpty()) { // status writes come back through the cache, in any order
                int n = 1 + random.nextInt(echoes.size());
                for (int i = 0; i < n; i++) {
                    HasMetadata o = echoes.remove(random.nextInt(echoes.size()));
                    String key = o.getKind() + "/" + NS + "/" + o.getMetadata().getName();
                    if (Long.parseLong(api.get(key).getMetadata().getResourceVersion())
                            < Long.parseLong(o.getMetadata().getResourceVersion())) { // the kept state passes over an older one
                        api.put(key, o);
                        lists.remove(o.getKind());
                    }
                }
            } else if (op == 6) { // a proxy acknowledges a version up to the latest
                int p = random.nextInt(proxies.acked.length);
                if (proxies.acked[p] >= 0) {
                    proxies.acked[p] = Math.max(proxies.acked[p], version - random.nextInt(2));
                }
            } else if (op == 7) { // a proxy connects (still syncing) or leaves
                int p = random.nextInt(proxies.acked.length);
                proxies.acked[p] = proxies.acked[p] >= 0 ? -1 : random.nextInt(2) == 0 ? 0 : version;
            } else if (op == 8) { // a proxy refuses the latest version, naming an object
                int p = random.nextInt(proxies.acked.length);
                proxies.refused[p] = version;
                proxies.refusedUid[p] = random.nextBoolean() ? "uid-u-" + random.nextInt(UPSTREAMS) : "uid-r-" + random.nextInt(ROUTES);
            }
            now += TimeUnit.MILLISECONDS.toNanos(random.nextInt(3000));
            if (random.nextInt(3) == 0) {
                continue; // more changes before the next pass
            }
            // a pass: both plan, then write what they planned
            StatusPlanner.Plan narrowed = narrowing.planner.plan(latest, touched == null ? null : Set.copyOf(touched), proxies, now);
            StatusPlanner.Plan whole = full.planner.planFull(latest, proxies, now);
            (narrowed.narrowed() ? NARROWED : FULL).incrementAndGet();
            if (narrowed.narrowed() && touched == null) {
                NARROWED_AFTER_REBUILD.incrementAndGet();
            }
            (narrowed.narrowed() ? NARROWED_PLANNED : FULL_PLANNED).addAndGet(narrowed.planned());
            assertThat(whole.narrowed()).isFalse();
            touched = new HashSet<>();
            Set<String> refusing = new HashSet<>();
            for (StatusPlanner.Pending p : whole.todo()) {
                if (random.nextInt(8) == 0) {
                    refusing.add(p.key());
                }
            }
            int stop = random.nextInt(4) == 0 ? random.nextInt(whole.todo().size() + 1) : Integer.MAX_VALUE; // a newer offer ends the pass
            List<HasMetadata> results = write(full, whole, latest, proxies, refusing, stop, now, null);
            write(narrowing, narrowed, latest, proxies, refusing, stop, now, results);
            assertThat(narrowing.writes).as("step %d (seed %d): a narrowed plan (%s) writes what a full plan writes", step, seed,
                    narrowed.narrowed() ? "narrowed" : "full").isEqualTo(full.writes);
            WRITES.addAndGet(full.writes.size());
            echoes.addAll(results);
        }
    }

    /**
     * Writes as the status updater does: each planned object re-decided against the proxies now,
     * written unless it shows that already; {@code refusing} the objects the API server refuses,
     * {@code stop} the writes made before a newer offer ends the pass. {@code same}: the objects the
     * other runner's writes gave, handed out again (the API server's answer), or null to make them.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    List<HasMetadata> write(Runner runner, StatusPlanner.Plan plan, StatusUpdater.Desired d, ProxyFleet fleet, Set<String> refusing,
                            int stop, long now, List<HasMetadata> same) {
        runner.writes.clear();
        List<HasMetadata> results = new ArrayList<>();
        int made = 0;
        for (StatusPlanner.Pending p : plan.todo()) {
            if (made++ >= stop) {
                break;
            }
            List<StatusCondition> desired = runner.planner.wanted(p.key(), p.cached(), p.decided(),
                    runner.planner.since(p.decided().source().uid(), d.version()), fleet, fleet.rejections(d.version()));
            if (desired == null) {
                continue;
            }
            CustomResource base = runner.shown.base(p.key(), p.cached());
            GatewayStatus status = StatusWriter.wanted(base, desired, p.decided(), "2026-12-01T00:00:00Z");
            if (status == null) {
                runner.shown.written(p.key(), p.cached(), null);
                continue;
            }
            runner.writes.add(p.key() + " " + JSON.asJson(status));
            if (refusing.contains(p.key())) {
                runner.writes.add(p.key() + " refused");
                runner.shown.failed(p.key(), now);
                continue;
            }
            CustomResource result;
            if (same != null && results.size() < same.size()) {
                result = (CustomResource) same.get(results.size());
            } else {
                result = JSON.clone(base);
                result.setStatus(status);
                result.getMetadata().setResourceVersion(Long.toString(++resourceVersion));
            }
            results.add(result);
            runner.shown.written(p.key(), p.cached(), result);
        }
        return results;
    }
}
