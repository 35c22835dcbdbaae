package dev.gatehouse.controller.translate;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.config.Route;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event costs what it touched: counted through the objects translated anew (not timed), on a
 * small cluster of the scale issue's shape (20 Upstreams and Services with their EndpointSlices,
 * 40 GatewayServices, 100 routes, 30 Consumers with key Secrets).
 */
class IncrementalTranslatorTest {
    private static final TlsSettings TLS = new TlsSettings(null, Instant.parse("2026-06-01T00:00:00Z"));
    private static final ScaleFixture SMALL = new ScaleFixture(40, 100, 20, 500, 30);
    private static final String[] KINDS = {"Upstream", "GatewayService", "Consumer", "GatewayRoute"};

    private final ClusterState base = SMALL.state();
    private final IncrementalTranslator translator = new IncrementalTranslator(Integer.MAX_VALUE);

    private Translation translate(ClusterState state) {
        return translator.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
    }

    private long[] built() {
        long[] out = new long[KINDS.length];
        for (int i = 0; i < KINDS.length; i++) {
            out[i] = translator.built(KINDS[i]);
        }
        return out;
    }

    /** Objects translated anew by {@code state}'s translation, by kind, in {@link #KINDS} order. */
    private long[] builtBy(ClusterState state) {
        long[] before = built();
        translate(state);
        long[] after = built();
        for (int i = 0; i < KINDS.length; i++) {
            after[i] -= before[i];
        }
        return after;
    }

    private static ClusterState with(ClusterState s, List<Upstream> upstreams, List<GatewayRoute> routes, List<Service> services,
                                     List<EndpointSlice> slices) {
        return new ClusterState(upstreams == null ? s.upstreams() : upstreams, s.services(), routes == null ? s.routes() : routes,
                s.consumers(), services == null ? new ArrayList<>(s.kubeServices()) : services,
                slices == null ? new ArrayList<>(s.endpointSlices()) : slices, s.secrets());
    }

    @Test
    void theFirstTranslationBuildsEverythingAndAnUnchangedStateNothing() {
        assertThat(builtBy(base)).containsExactly(20, 40, 30, 100);
        assertThat(builtBy(with(base, null, null, null, null))).as("a new state of the same objects").containsExactly(0, 0, 0, 0);
    }

    /**
     * The GatewayService step is replayed whole when it reads the same: a route edit (the same
     * GatewayServices, the same Upstreams accepted) replays it; an Upstream gone, with the same
     * list of GatewayServices, walks it again, and the GatewayService naming that Upstream is told.
     * Either way the outcome is a full translation's, byte for byte.
     */
    @Test
    void theServiceStepIsReplayedOnlyWhileItReadsTheSameUpstreams() {
        translate(base);
        List<GatewayRoute> routes = new ArrayList<>(base.routes());
        routes.set(7, SMALL.route(7, "/edited"));
        ClusterState edited = with(base, null, routes, null, null);
        long replays = translator.serviceStepReplays();
        assertSameAsFull(edited);
        assertThat(translator.serviceStepReplays()).as("a route edit").isEqualTo(replays + 1);

        List<Upstream> upstreams = new ArrayList<>(base.upstreams());
        upstreams.remove(3);
        ClusterState gone = with(edited, upstreams, null, null, null);
        assertThat(gone.services()).isSameAs(base.services());
        Translation t = assertSameAsFull(gone);
        assertThat(translator.serviceStepReplays()).as("an Upstream gone").isEqualTo(replays + 1);
        assertThat(t.statuses()).filteredOn(st -> st.source().name().equals("gs-3")).singleElement()
                .satisfies(st -> assertThat(st.problems()).anySatisfy(p -> assertThat(p).contains("u-3 not found or not accepted")));
        assertThat(t.snapshot().services()).noneMatch(sv -> sv.id().equals("default/gs-3"));

        assertSameAsFull(with(gone, null, base.routes(), null, null));
        assertThat(translator.serviceStepReplays()).as("the edit undone, the Upstream still gone").isEqualTo(replays + 2);
    }

    /**
     * The controller's own status writes come back from the informers as new Java objects of the
     * same uid and generation (every object's, after a start): the next translation builds none of
     * them again (the GatewayService step is replayed whole) and hands out the same snapshot
     * objects, as a full translation would give them.
     * A new generation, or new labels, is translated again.
     */
    @Test
    void objectsBackFromAStatusWriteAreNotTranslatedAgain() {
        ClusterState written = stamped(SMALL.state(), "1", 7, 1L, null);
        Translation before = translate(written);
        ClusterState back = stamped(SMALL.state(), "2", 7, 1L, written);
        assertThat(back.routes().get(7)).isNotSameAs(written.routes().get(7));
        long replays = translator.serviceStepReplays();
        assertThat(builtBy(back)).as("every object back from a status write").containsExactly(0, 0, 0, 0);
        assertThat(translator.serviceStepReplays()).as("the GatewayService step replayed whole").isEqualTo(replays + 1);
        Translation after = assertSameAsFull(stamped(SMALL.state(), "3", 7, 1L, written));
        for (int i = 0; i < before.snapshot().routes().size(); i++) {
            assertThat(after.snapshot().routes().get(i)).isSameAs(before.snapshot().routes().get(i));
        }
        assertThat(after.snapshot().services()).containsExactlyElementsOf(before.snapshot().services());

        ClusterState edited = stamped(SMALL.state(), "4", 7, 2L, written);
        assertThat(builtBy(edited)).as("route r-7's next generation").containsExactly(0, 0, 0, 1);
        ClusterState relabelled = stamped(SMALL.state(), "5", 7, 2L, written);
        relabelled.routes().get(7).getMetadata().setLabels(java.util.Map.of("team", "b"));
        assertThat(builtBy(relabelled)).as("route r-7 with new labels").containsExactly(0, 0, 0, 1);
        assertSameAsFull(stamped(SMALL.state(), "6", 7, 2L, written));
    }

    /**
     * {@code state}'s Gatehouse objects with a uid of their kind and name, generation 1 ({@code route}'s
     * generation {@code generation}) and resourceVersion {@code rv}; the Services, EndpointSlices and
     * Secrets of {@code kube} when given (the same objects: they had no status written).
     */
    private static ClusterState stamped(ClusterState state, String rv, int route, long generation, ClusterState kube) {
        List<List<? extends io.fabric8.kubernetes.api.model.HasMetadata>> kinds = List.of(state.upstreams(), state.services(),
                state.routes(), state.consumers());
        for (List<? extends io.fabric8.kubernetes.api.model.HasMetadata> list : kinds) {
            for (io.fabric8.kubernetes.api.model.HasMetadata o : list) {
                o.getMetadata().setUid(o.getKind() + "-" + o.getMetadata().getName());
                o.getMetadata().setGeneration(o == state.routes().get(route) ? generation : 1L);
                o.getMetadata().setResourceVersion(rv);
            }
        }
        ClusterState k = kube == null ? state : kube;
        return new ClusterState(state.upstreams(), state.services(), state.routes(), state.consumers(),
                new ArrayList<>(k.kubeServices()), new ArrayList<>(k.endpointSlices()), k.secrets());
    }

    private Translation assertSameAsFull(ClusterState state) {
        Translation inc = translate(state);
        Translation full = Translator.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
        assertThat(IncrementalTranslator.difference(inc, full)).isNull();
        assertThat(inc.statuses()).isEqualTo(full.statuses());
        return inc;
    }

    @Test
    void oneRouteEditTranslatesOneRouteAndReusesEveryOtherRouteObject() {
        Translation before = translate(base);
        List<GatewayRoute> routes = new ArrayList<>(base.routes());
        routes.set(42, SMALL.route(42, "/edited"));
        ClusterState edited = with(base, null, routes, null, null);

        assertThat(builtBy(edited)).containsExactly(0, 0, 0, 1);
        Translation after = translate(edited);
        int same = 0;
        for (int i = 0; i < after.snapshot().routes().size(); i++) {
            Route r = after.snapshot().routes().get(i);
            same += r == before.snapshot().routes().get(i) ? 1 : 0;
            if (r.id().equals("default/r-42")) {
                assertThat(r.paths()).containsExactly("/edited");
            }
        }
        assertThat(same).as("route objects reused by identity").isEqualTo(99);
        assertThat(after.snapshot().upstreams()).as("nothing else is a new object").isEqualTo(before.snapshot().upstreams());
        for (int i = 0; i < after.snapshot().upstreams().size(); i++) {
            assertThat(after.snapshot().upstreams().get(i)).isSameAs(before.snapshot().upstreams().get(i));
        }
        assertThat(IncrementalTranslator.difference(after, Translator.translate(edited, TLS))).isNull();
    }

    @Test
    void oneEndpointSliceChangeTranslatesOneUpstream() {
        translate(base);
        List<EndpointSlice> slices = new ArrayList<>(base.endpointSlices());
        int at = indexOf(slices, "svc-7-0");
        slices.set(at, SMALL.slices(7, 1000).get(0));
        ClusterState changed = with(base, null, null, null, slices);

        assertThat(builtBy(changed)).containsExactly(1, 0, 0, 0);
        Translation t = translate(changed);
        assertThat(t.snapshot().upstreams().stream().filter(u -> u.id().equals("default/u-7")).findFirst().orElseThrow()
                .targets().get(0).host()).isEqualTo(ScaleFixture.address(SMALL.firstEndpoint(7) + 1000));
        assertThat(IncrementalTranslator.difference(t, Translator.translate(changed, TLS))).isNull();
    }

    @Test
    void aServiceDeleteInvalidatesTheUpstreamsThatNameIt() {
        // u-3 and a second Upstream name svc-3; u-4 names svc-4
        List<Upstream> upstreams = new ArrayList<>(base.upstreams());
        Upstream second = ScaleFixture.upstream(3);
        second.getMetadata().setName("u-3b");
        upstreams.add(second);
        ClusterState withSecond = with(base, upstreams, null, null, null);
        translate(withSecond);
        List<Service> services = new ArrayList<>(withSecond.kubeServices());
        services.removeIf(s -> s.getMetadata().getName().equals("svc-3"));
        ClusterState deleted = with(withSecond, null, null, services, null);

        // the two Upstreams, and the GatewayServices of u-3 (their Upstream is still accepted: not them)
        assertThat(builtBy(deleted)).containsExactly(2, 0, 0, 0);
        Translation t = translate(deleted);
        ObjectStatus u3 = status(t, "Upstream", "u-3");
        assertThat(u3.problems()).containsExactly("spec.serviceRef.name: Service default/svc-3 not found");
        assertThat(status(t, "Upstream", "u-3b").problems()).containsExactly("spec.serviceRef.name: Service default/svc-3 not found");
        assertThat(status(t, "Upstream", "u-4").problems()).isEmpty();
        assertThat(IncrementalTranslator.difference(t, Translator.translate(deleted, TLS))).isNull();
    }

    @Test
    void anObjectChangedInPlaceIsCaughtByTheComparisonAndTheFullTranslationIsUsed() {
        IncrementalTranslator verifying = new IncrementalTranslator(1);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(IncrementalTranslator.class);
        logs.start();
        logger.addAppender(logs);
        try {
            ClusterState state = SMALL.state();
            verifying.translate(state, IngressSelection.DEFAULT, TLS);
            // against the contract (objects are replaced, never changed): the same object, a new path
            state.routes().get(5).getSpec().paths = List.of("/changed-in-place");
            Translation t = verifying.translate(state, IngressSelection.DEFAULT, TLS);

            assertThat(verifying.mismatches()).isEqualTo(1);
            assertThat(t.snapshot().routes().stream().filter(r -> r.id().equals("default/r-5")).findFirst().orElseThrow()
                    .paths()).containsExactly("/changed-in-place");
            assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                    .startsWith("event=translate.mismatch difference=\"snapshot: routes\"");
            Translation again = verifying.translate(state, IngressSelection.DEFAULT, TLS);
            assertThat(verifying.mismatches()).as("the kept outcomes were dropped").isEqualTo(1);
            assertThat(IncrementalTranslator.difference(again, t)).isNull();
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void twoObjectsOfOneNameShareNoKeptOutcome() {
        // local mode may hold one name twice (two files); a step then makes one report for both,
        // which is neither object's own outcome and must not be kept as the second one's
        GatewayRoute refused = SMALL.route(7, "not a path");
        GatewayRoute twin = SMALL.route(7, "/twin");
        List<GatewayRoute> onlyRefused = new ArrayList<>(base.routes());
        onlyRefused.set(7, refused);
        List<GatewayRoute> bothRoutes = new ArrayList<>(onlyRefused);
        bothRoutes.add(twin);
        List<GatewayRoute> onlyTwin = new ArrayList<>(base.routes());
        onlyTwin.set(7, twin);
        ClusterState first = with(base, null, onlyRefused, null, null);
        ClusterState both = with(base, null, bothRoutes, null, null);
        ClusterState second = with(base, null, onlyTwin, null, null);
        for (ClusterState state : List.of(first, both, second, both, first, second)) {
            Translation t = translate(state);
            assertThat(IncrementalTranslator.difference(t, Translator.translate(state, TLS))).isNull();
        }
        assertThat(status(translate(second), "GatewayRoute", "r-7").problems()).as("the twin alone").isEmpty();
    }

    private static int indexOf(List<EndpointSlice> slices, String name) {
        for (int i = 0; i < slices.size(); i++) {
            if (slices.get(i).getMetadata().getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no slice " + name);
    }

    private static ObjectStatus status(Translation t, String kind, String name) {
        return t.statuses().stream().filter(s -> s.source().kind().equals(kind) && s.source().name().equals(name))
                .findFirst().orElseThrow();
    }
}
