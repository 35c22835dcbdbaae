package dev.gatehouse.controller.translate;

import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.controller.translate.IncrementalPropertyTest.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.gatehouse.controller.translate.IncrementalPropertyTest.KINDS;
import static dev.gatehouse.controller.translate.IncrementalPropertyTest.NAMESPACES;
import static dev.gatehouse.controller.translate.IncrementalPropertyTest.TLS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The endpoint path is the whole translation: for random sequences of events, mostly of
 * EndpointSlices and Services (the rest of Upstreams, GatewayServices, GatewayRoutes, Consumers,
 * Secrets and Ingresses, so Upstreams come and go, get refused, and Ingresses read the same
 * Services), a Service or EndpointSlice event goes to {@link IncrementalTranslator#endpoints} as
 * the controller hands it (the Service of the object before and after), and to a whole
 * incremental translation only when declined; every other event to a whole incremental
 * translation. After every event the result (the patched translation, or the last one when the
 * change reached no Upstream) is byte for byte and status for status a full translation of the
 * state. The lists of kinds that did not change are handed on as the same objects, as the kept
 * cluster state does, so the path is taken. Objects carry a uid and a generation as the API server
 * gives them, and an Upstream may get a status write in between (a new object of the same uid,
 * generation and spec, which no translation follows, as in the controller). Now and then a whole incremental translation follows
 * an endpoint update of the same state: it gives the same snapshot, so what the path kept is what a
 * rebuild reuses.
 */
class EndpointUpdatePropertyTest {
    /** A status write to an Upstream: a new object of the same uid, generation and spec (as the API server hands out). */
    private static final int STATUS_WRITE = KINDS.length;
    /** Kinds by weight: slices and Services most, and status writes to Upstreams (each endpoint change causes one). */
    private static final int[] KIND_BY_WEIGHT = {5, 5, 5, 5, 5, 4, 4, STATUS_WRITE, STATUS_WRITE, 0, 0, 1, 2, 3, 6, 7};

    /** Over all tries: endpoint changes the path served, and those it declined. */
    private static final java.util.concurrent.atomic.AtomicLong SERVED = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong DECLINED = new java.util.concurrent.atomic.AtomicLong();

    /** A property that never takes the path would prove nothing about it. */
    @net.jqwik.api.lifecycle.AfterProperty
    void thePathWasTakenAndDeclined() {
        assertThat(SERVED.get()).as("endpoint changes served by the path").isGreaterThan(300);
        assertThat(DECLINED.get()).as("endpoint changes declined").isGreaterThan(30);
    }

    @Property(tries = 300)
    void theEndpointPathGivesTheFullTranslation(@ForAll("events") List<Event> events) {
        Map<String, HasMetadata> objects = new LinkedHashMap<>();
        Lists lists = new Lists();
        IncrementalTranslator incremental = new IncrementalTranslator(Integer.MAX_VALUE);
        Translation last = null;
        Map<String, Event> madeBy = new LinkedHashMap<>();
        int[] uids = {0};
        for (Event e : events) {
            if (e.kind() == STATUS_WRITE) {
                String key = "Upstream/" + NAMESPACES[e.ns()] + "/" + e.name();
                HasMetadata held = objects.get(key);
                if (held == null) {
                    continue;
                }
                objects.put(key, stamped(IncrementalPropertyTest.make(madeBy.get(key)), held.getMetadata().getUid(),
                        held.getMetadata().getGeneration()));
                // no translation (the controller passes over a status write); what was served stays right
                ClusterState state = lists.state(objects.values(), "Upstream");
                if (last != null) {
                    assertSame(last, Translator.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS), e);
                }
                continue;
            }
            String kind = KINDS[e.kind()];
            String key = kind + "/" + NAMESPACES[e.ns()] + "/" + e.name();
            HasMetadata made = IncrementalPropertyTest.make(e);
            HasMetadata held = objects.get(key);
            if (held != null) {
                stamped(made, held.getMetadata().getUid(), held.getMetadata().getGeneration() + 1);
            } else {
                stamped(made, "uid-" + uids[0]++, 1L);
            }
            madeBy.put(key, e);
            HasMetadata before = e.delete() ? objects.remove(key) : objects.put(key, made);
            HasMetadata after = objects.get(key);
            if (before == null && after == null) {
                continue; // the delete of an object that is not there: no event
            }
            ClusterState state = lists.state(objects.values(), kind);
            Translation result;
            if ((kind.equals("Service") || kind.equals("EndpointSlice")) && last != null) {
                Set<String> services = new HashSet<>();
                services.add(serviceOf(before == null ? after : before));
                services.add(serviceOf(after == null ? before : after));
                EndpointChange change = incremental.endpoints(state, services);
                (change.needsFullTranslation() ? DECLINED : SERVED).incrementAndGet();
                if (change.needsFullTranslation()) {
                    result = incremental.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
                } else {
                    result = change.translation() == null ? last : change.translation();
                }
            } else {
                result = incremental.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
            }
            Translation full = Translator.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
            assertSame(result, full, e);
            if (e.variant() == 0) {
                result = incremental.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
                assertSame(result, full, e);
            }
            last = result;
        }
        assertThat(incremental.mismatches()).isZero();
    }

    private static void assertSame(Translation result, Translation full, Event e) {
        assertThat(new String(SnapshotCodec.toJson(result.snapshot()), StandardCharsets.UTF_8)).as("snapshot after %s", e)
                .isEqualTo(new String(SnapshotCodec.toJson(full.snapshot()), StandardCharsets.UTF_8));
        assertThat(result.statuses()).as("statuses after %s", e).isEqualTo(full.statuses());
        assertThat(IncrementalTranslator.difference(result, full)).as("after %s", e).isNull();
    }

    private static HasMetadata stamped(HasMetadata o, String uid, Long generation) {
        o.getMetadata().setUid(uid);
        o.getMetadata().setGeneration(generation);
        return o;
    }

    static String serviceOf(HasMetadata o) {
        return o instanceof EndpointSlice s ? ClusterState.serviceOf(s) : Sources.key((Service) o);
    }

    @Provide
    Arbitrary<List<Event>> events() {
        Arbitrary<Event> event = Combinators.combine(Arbitraries.of(toList(KIND_BY_WEIGHT)),
                Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 5).map(i -> i == 0))
                .as(Event::new);
        return event.list().ofMinSize(1).ofMaxSize(50);
    }

    private static List<Integer> toList(int[] a) {
        List<Integer> out = new ArrayList<>();
        for (int i : a) {
            out.add(i);
        }
        return out;
    }

    /** Per kind, the list handed to the state: a new one only for the kind an event changed, as {@link ClusterStore} does. */
    static final class Lists {
        private final Map<String, List<HasMetadata>> byKind = new LinkedHashMap<>();

        ClusterState state(java.util.Collection<HasMetadata> objects, String changed) {
            byKind.remove(changed);
            for (String kind : KINDS) {
                byKind.computeIfAbsent(kind, k -> objects.stream().filter(o -> o.getKind().equals(k)).toList());
            }
            return new ClusterState(cast(byKind.get("Upstream")), cast(byKind.get("GatewayService")), cast(byKind.get("GatewayRoute")),
                    cast(byKind.get("Consumer")), cast(byKind.get("Service")), cast(byKind.get("EndpointSlice")),
                    cast(byKind.get("Secret")), cast(byKind.get("Ingress")), List.of());
        }

        @SuppressWarnings("unchecked")
        private static <T> List<T> cast(List<HasMetadata> l) {
            return (List<T>) l;
        }
    }
}
