package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.controller.translate.ClusterStore.Outcome.APPLIED;
import static dev.gatehouse.controller.translate.ClusterStore.Outcome.STALE;
import static dev.gatehouse.controller.translate.ClusterStore.Outcome.UNCHANGED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kept state's rules, case by case: which event wins, what a relist does, what a state shares with the last. */
class ClusterStoreTest {
    private final ClusterStore store = new ClusterStore();
    private final ClusterStore.Feed routes = store.feed(ClusterStore.Kind.GATEWAY_ROUTE);
    private final ClusterStore.Feed services = store.feed(ClusterStore.Kind.SERVICE);

    private static GatewayRoute route(String name, String uid, String rv) {
        GatewayRoute r = new GatewayRoute();
        r.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName(name).withUid(uid).withResourceVersion(rv).build());
        return r;
    }

    private static Service service(String name, String uid, String rv) {
        return new ServiceBuilder().withNewMetadata().withNamespace("default").withName(name).withUid(uid).withResourceVersion(rv)
                .endMetadata().build();
    }

    @Test
    void anOlderUpdateDoesNotOverwriteANewerOne() {
        GatewayRoute v7 = route("a", "u1", "7");
        assertThat(store.upsert(routes, route("a", "u1", "5"))).isEqualTo(APPLIED);
        assertThat(store.upsert(routes, v7)).isEqualTo(APPLIED);
        assertThat(store.upsert(routes, route("a", "u1", "6"))).isEqualTo(STALE);
        assertThat(store.upsert(routes, route("a", "u1", "7"))).as("a replay of the one held").isEqualTo(UNCHANGED);
        assertThat(store.state().routes()).containsExactly(v7);
        assertThat(store.state().routes().get(0)).as("the held Java object, so kept outcomes stay valid").isSameAs(v7);
        assertThat(store.staleEvents()).isEqualTo(1);
    }

    @Test
    void aDeletedObjectIsNotBroughtBackByAReplayAndANewIncarnationIs() {
        store.upsert(routes, route("a", "u1", "5"));
        assertThat(store.delete(routes, route("a", "u1", "8"))).isEqualTo(APPLIED);
        assertThat(store.upsert(routes, route("a", "u1", "5"))).as("a replayed add of the deleted one").isEqualTo(STALE);
        assertThat(store.state().routes()).isEmpty();
        GatewayRoute again = route("a", "u2", "9");
        assertThat(store.upsert(routes, again)).as("re-added under a new uid").isEqualTo(APPLIED);
        assertThat(store.state().routes()).containsExactly(again);
    }

    @Test
    void aTombstoneLimitOfTwoForgetsTheOldestOfThreeDeletedNamesAndCountsIt() {
        store.tombstoneLimit(2);
        for (String name : List.of("a", "b", "c")) {
            store.upsert(routes, route(name, "u-" + name, "5"));
            store.delete(routes, route(name, "u-" + name, "8"));
        }
        assertThat(store.tombstonesForgotten()).isEqualTo(1);
        assertThat(store.upsert(routes, route("b", "u-b", "5"))).as("b is remembered: its replay is passed over").isEqualTo(STALE);
        assertThat(store.upsert(routes, route("c", "u-c", "5"))).as("c is remembered").isEqualTo(STALE);
        assertThat(store.upsert(routes, route("a", "u-a", "5"))).as("a, the oldest, was forgotten: its replay is taken")
                .isEqualTo(APPLIED);
        assertThat(store.state().routes()).extracting(r -> r.getMetadata().getName()).containsExactly("a");
    }

    @Test
    void loweringTheTombstoneLimitForgetsTheOldestAtOnceAndABadLimitNamesTheFlag() {
        for (String name : List.of("a", "b", "c", "d")) {
            store.upsert(routes, route(name, "u-" + name, "5"));
            store.delete(routes, route(name, "u-" + name, "8"));
        }
        assertThat(store.tombstonesForgotten()).as("within the default limit").isZero();
        store.tombstoneLimit(1);
        assertThat(store.tombstonesForgotten()).isEqualTo(3);
        assertThat(store.upsert(routes, route("d", "u-d", "5"))).as("the newest is kept").isEqualTo(STALE);
        assertThatThrownBy(() -> store.tombstoneLimit(0)).hasMessage("--deleted-names-remembered: 0 (expected: 1..4194304)");
    }

    @Test
    void aDeleteOfAnEarlierIncarnationLeavesTheNewOne() {
        store.upsert(routes, route("a", "u1", "5"));
        GatewayRoute second = route("a", "u2", "9");
        assertThat(store.upsert(routes, second)).as("the delete of u1 was missed; u2 is newer").isEqualTo(APPLIED);
        assertThat(store.delete(routes, route("a", "u1", "8"))).isEqualTo(STALE);
        assertThat(store.upsert(routes, route("a", "u1", "6"))).as("an update of u1, older than u2").isEqualTo(STALE);
        assertThat(store.state().routes()).containsExactly(second);
    }

    @Test
    void aRelistIsTheTruthAndKeepsObjectsItAlreadyHeld() {
        GatewayRoute a = route("a", "u1", "5");
        store.upsert(routes, a);
        store.upsert(routes, route("b", "u2", "6"));
        GatewayRoute c = route("c", "u3", "7");
        assertThat(store.replace(routes, List.of(route("a", "u1", "5"), c))).as("b removed, c added").isEqualTo(2);
        assertThat(store.state().routes()).containsExactly(a, c);
        assertThat(store.state().routes().get(0)).as("same uid and resourceVersion: the held object").isSameAs(a);
        assertThat(store.upsert(routes, route("b", "u2", "6"))).as("a replay of the removed one").isEqualTo(STALE);
        assertThat(store.replace(routes, List.of(a, c))).as("nothing to correct").isZero();
    }

    @Test
    void aKindThatDidNotChangeIsHandedOnAsItWas() {
        store.upsert(routes, route("a", "u1", "5"));
        store.upsert(services, service("web", "s1", "3"));
        ClusterState first = store.state();
        first.kubeService("default", "web");
        store.upsert(routes, route("b", "u2", "6"));
        ClusterState second = store.state();
        assertThat(second.routes()).hasSize(2);
        assertThat(second.kubeServices()).containsExactlyElementsOf(first.kubeServices());
        assertThat(second.servicesReferenced()).as("what this state was asked, not the last one").isEmpty();
        assertThat(first.servicesReferenced()).containsExactly("default/web");
        assertThat(second.kubeService("default", "web")).isSameAs(first.kubeService("default", "web"));
    }

    @Test
    void listsAreInNamespaceAndNameOrder() {
        store.upsert(routes, route("b", "u2", "6"));
        store.upsert(routes, route("a", "u1", "5"));
        GatewayRoute other = route("a", "u3", "7");
        other.getMetadata().setNamespace("a-team");
        store.upsert(routes, other);
        assertThat(store.state().routes()).extracting(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
                .containsExactly("a-team/a", "default/a", "default/b");
    }

    @Test
    void withoutUidOrResourceVersionEveryUpdateIsTaken() {
        GatewayRoute first = route("a", null, null);
        GatewayRoute second = route("a", null, null);
        assertThat(store.upsert(routes, first)).isEqualTo(APPLIED);
        assertThat(store.upsert(routes, second)).as("nothing to compare: as an informer's cache, the last wins").isEqualTo(APPLIED);
        assertThat(store.upsert(routes, second)).isEqualTo(UNCHANGED);
        assertThat(store.state().routes().get(0)).isSameAs(second);
        assertThat(store.delete(routes, route("a", null, null))).isEqualTo(APPLIED);
        assertThat(store.state().routes()).isEmpty();
    }

    @Test
    void anObjectOfAnotherKindIsRefused() {
        assertThatThrownBy(() -> store.upsert(routes, service("web", "s1", "1")))
                .hasMessage("object: Service (expected: GatewayRoute)");
    }
}
