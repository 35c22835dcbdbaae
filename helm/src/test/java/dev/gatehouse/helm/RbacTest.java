package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** The controller gets exactly what it needs, every verb named; the proxy gets nothing. */
class RbacTest {
    /** What the controller must be able to do in every namespace it watches: "group/resource" → verbs. */
    static final Map<String, Set<String>> WATCH = Map.ofEntries(
            Map.entry("gatehouse.dev/upstreams", Set.of("get", "list", "watch")),
            Map.entry("gatehouse.dev/gatewayservices", Set.of("get", "list", "watch")),
            Map.entry("gatehouse.dev/gatewayroutes", Set.of("get", "list", "watch")),
            Map.entry("gatehouse.dev/consumers", Set.of("get", "list", "watch")),
            Map.entry("gatehouse.dev/keyauthfilters", Set.of("get", "list", "watch")),
            Map.entry("gatehouse.dev/upstreams/status", Set.of("get", "update", "patch")),
            Map.entry("gatehouse.dev/gatewayservices/status", Set.of("get", "update", "patch")),
            Map.entry("gatehouse.dev/gatewayroutes/status", Set.of("get", "update", "patch")),
            Map.entry("gatehouse.dev/consumers/status", Set.of("get", "update", "patch")),
            Map.entry("/services", Set.of("get", "list", "watch")),
            Map.entry("discovery.k8s.io/endpointslices", Set.of("get", "list", "watch")),
            Map.entry("/secrets", Set.of("get", "list", "watch", "create")),
            Map.entry("/events", Set.of("create", "patch")),
            Map.entry("networking.k8s.io/ingresses", Set.of("get", "list", "watch")),
            Map.entry("networking.k8s.io/ingresses/status", Set.of("update")),
            Map.entry("gateway.networking.k8s.io/gateways", Set.of("get", "list", "watch")),
            Map.entry("gateway.networking.k8s.io/httproutes", Set.of("get", "list", "watch")),
            Map.entry("gateway.networking.k8s.io/referencegrants", Set.of("get", "list", "watch")),
            Map.entry("gateway.networking.k8s.io/gateways/status", Set.of("update")),
            Map.entry("gateway.networking.k8s.io/httproutes/status", Set.of("update")));
    /** Cluster-scoped Gateway API reads (GatewayClasses, Namespaces for selectors) and the GatewayClass status write. */
    static final Map<String, Set<String>> GATEWAY_CLUSTER = Map.of(
            "gateway.networking.k8s.io/gatewayclasses", Set.of("get", "list", "watch"),
            "gateway.networking.k8s.io/gatewayclasses/status", Set.of("update"),
            "/namespaces", Set.of("get", "list", "watch"));
    static final String GATEWAY_READER = "gatehouse-controller-gatehouse-system-gatewayapi";
    /** IngressClasses are cluster-scoped: read through a ClusterRole of their own, in both modes. */
    static final Map<String, Set<String>> INGRESS_CLASSES = Map.of("networking.k8s.io/ingressclasses", Set.of("get", "list", "watch"));
    static final String CLASS_READER = "gatehouse-controller-gatehouse-system-ingressclasses";
    /**
     * The leader-election Lease and the replicas' report Leases (named after pods, so not by
     * name), in the release namespace only.
     */
    static final Map<String, Set<String>> LEADER = Map.of("coordination.k8s.io/leases",
            Set.of("get", "create", "update", "list", "watch", "delete"));

    static List<HasMetadata> defaults;
    static List<HasMetadata> namespaced;

    @BeforeAll
    static void render() {
        defaults = Chart.parse(Chart.renderDefault());
        namespaced = Chart.parse(Chart.renderNamespaced());
    }

    static Map<String, Set<String>> verbsByResource(List<PolicyRule> rules) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (PolicyRule rule : rules) {
            assertThat(rule.getNonResourceURLs()).as("no non-resource URLs").isEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    out.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(rule.getVerbs());
                }
            }
        }
        return out;
    }

    static Stream<PolicyRule> allRules(List<HasMetadata> objects) {
        return Stream.concat(
                Chart.ofKind(objects, ClusterRole.class).stream().flatMap(r -> r.getRules().stream()),
                Chart.ofKind(objects, Role.class).stream().flatMap(r -> r.getRules().stream()));
    }

    @Test
    void noWildcardAnywhere() {
        Stream.of(defaults, namespaced).flatMap(RbacTest::allRules).forEach(rule -> {
            assertThat(rule.getVerbs()).isNotEmpty().noneMatch(v -> v.contains("*"));
            assertThat(rule.getResources()).isNotEmpty().noneMatch(v -> v.contains("*"));
            assertThat(rule.getApiGroups()).isNotEmpty().noneMatch(v -> v.contains("*"));
            assertThat(rule.getResourceNames()).noneMatch(v -> v.contains("*"));
        });
        Stream.of(defaults, namespaced).flatMap(o -> Chart.ofKind(o, ClusterRole.class).stream())
                .forEach(r -> assertThat(r.getAggregationRule()).as("no aggregation").isNull());
    }

    static void assertIngressClassReader(List<HasMetadata> objects) {
        ClusterRole reader = Chart.one(objects, ClusterRole.class, CLASS_READER);
        assertThat(verbsByResource(reader.getRules())).isEqualTo(INGRESS_CLASSES);
        ClusterRoleBinding binding = Chart.one(objects, ClusterRoleBinding.class, CLASS_READER);
        assertThat(binding.getRoleRef().getName()).isEqualTo(CLASS_READER);
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("ServiceAccount", "gatehouse-controller", "gatehouse-system"));
    }

    static void assertGatewayReader(List<HasMetadata> objects) {
        ClusterRole reader = Chart.one(objects, ClusterRole.class, GATEWAY_READER);
        assertThat(verbsByResource(reader.getRules())).isEqualTo(GATEWAY_CLUSTER);
        ClusterRoleBinding binding = Chart.one(objects, ClusterRoleBinding.class, GATEWAY_READER);
        assertThat(binding.getRoleRef().getName()).isEqualTo(GATEWAY_READER);
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("ServiceAccount", "gatehouse-controller", "gatehouse-system"));
    }

    @Test
    void gatewayApiOffTakesItsPermissionsAway() {
        List<HasMetadata> off = Chart.parse(Chart.template().set("gatewayApi.enabled", false).call());
        assertThat(allRules(off)).noneMatch(r -> r.getApiGroups().contains("gateway.networking.k8s.io"));
        assertThat(Chart.ofKind(off, ClusterRole.class)).extracting(r -> r.getMetadata().getName()).doesNotContain(GATEWAY_READER);
    }

    @Test
    void clusterModeGivesTheWatchPermissionsThroughOneClusterRole() {
        assertIngressClassReader(defaults);
        assertGatewayReader(defaults);
        List<ClusterRole> clusterRoles = Chart.ofKind(defaults, ClusterRole.class).stream()
                .filter(r -> !r.getMetadata().getName().equals(CLASS_READER))
                .filter(r -> !r.getMetadata().getName().equals(GATEWAY_READER)).toList();
        assertThat(clusterRoles).hasSize(1);
        assertThat(verbsByResource(clusterRoles.get(0).getRules())).isEqualTo(WATCH);
        ClusterRoleBinding binding = Chart.one(defaults, ClusterRoleBinding.class, clusterRoles.get(0).getMetadata().getName());
        assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(binding.getRoleRef().getName()).isEqualTo(clusterRoles.get(0).getMetadata().getName());
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("ServiceAccount", "gatehouse-controller", "gatehouse-system"));
        assertLeaderElection(defaults);
        assertThat(Chart.ofKind(defaults, Role.class)).hasSize(1);
    }

    @Test
    void namespacedModeGivesTheWatchPermissionsThroughARolePerNamespace() {
        assertThat(Chart.ofKind(namespaced, ClusterRole.class)).extracting(r -> r.getMetadata().getName())
                .as("only the IngressClass and Gateway API readers are cluster-wide")
                .containsExactlyInAnyOrder(CLASS_READER, GATEWAY_READER);
        assertThat(Chart.ofKind(namespaced, ClusterRoleBinding.class)).hasSize(2);
        assertIngressClassReader(namespaced);
        assertGatewayReader(namespaced);
        // the proxy Service's address (--publish-service): that one Service, read by name
        Role publish = Chart.one(namespaced, Role.class, "gatehouse-controller-publish-service");
        assertThat(publish.getMetadata().getNamespace()).isEqualTo("gatehouse-system");
        assertThat(verbsByResource(publish.getRules())).isEqualTo(Map.of("/services", Set.of("get", "list", "watch")));
        assertThat(publish.getRules()).allSatisfy(r -> assertThat(r.getResourceNames()).containsExactly("gatehouse-proxy"));
        assertThat(Chart.one(namespaced, RoleBinding.class, "gatehouse-controller-publish-service").getRoleRef().getName())
                .isEqualTo("gatehouse-controller-publish-service");
        for (String ns : List.of("team-a", "team-b")) {
            List<Role> roles = Chart.ofKind(namespaced, Role.class).stream()
                    .filter(r -> ns.equals(r.getMetadata().getNamespace())).toList();
            assertThat(roles).as(ns).hasSize(1);
            assertThat(verbsByResource(roles.get(0).getRules())).as(ns).isEqualTo(WATCH);
            List<RoleBinding> bindings = Chart.ofKind(namespaced, RoleBinding.class).stream()
                    .filter(b -> ns.equals(b.getMetadata().getNamespace())).toList();
            assertThat(bindings).as(ns).hasSize(1);
            assertThat(bindings.get(0).getRoleRef().getKind()).isEqualTo("Role");
            assertThat(bindings.get(0).getRoleRef().getName()).isEqualTo(roles.get(0).getMetadata().getName());
            assertThat(bindings.get(0).getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                    .containsExactly(tuple("ServiceAccount", "gatehouse-controller", "gatehouse-system"));
        }
        assertLeaderElection(namespaced);
        assertThat(Chart.ofKind(namespaced, Role.class)).extracting(r -> r.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("team-a", "team-b", "gatehouse-system", "gatehouse-system");
    }

    static void assertLeaderElection(List<HasMetadata> objects) {
        Role role = Chart.one(objects, Role.class, "gatehouse-controller-leader-election");
        assertThat(role.getMetadata().getNamespace()).isEqualTo("gatehouse-system");
        assertThat(verbsByResource(role.getRules())).isEqualTo(LEADER);
        assertThat(role.getRules()).filteredOn(r -> r.getResourceNames() != null && !r.getResourceNames().isEmpty())
                .singleElement().satisfies(r -> {
                    assertThat(r.getResourceNames()).containsExactly("gatehouse-controller");
                    assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "update");
                });
        // the report Leases: what a replica and the leader do with them, nothing more (no patch, no deletecollection)
        assertThat(role.getRules()).filteredOn(r -> r.getResourceNames() == null || r.getResourceNames().isEmpty())
                .flatExtracting(r -> r.getVerbs()).containsExactlyInAnyOrder("create", "get", "list", "watch", "update", "delete");
        RoleBinding binding = Chart.one(objects, RoleBinding.class, "gatehouse-controller-leader-election");
        assertThat(binding.getMetadata().getNamespace()).isEqualTo("gatehouse-system");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName)
                .containsExactly(tuple("ServiceAccount", "gatehouse-controller"));
    }

    @Test
    void onlyTheControllerIsBound() {
        Stream.of(defaults, namespaced).forEach(objects -> {
            Stream<Subject> subjects = Stream.concat(
                    Chart.ofKind(objects, RoleBinding.class).stream().flatMap(b -> b.getSubjects().stream()),
                    Chart.ofKind(objects, ClusterRoleBinding.class).stream().flatMap(b -> b.getSubjects().stream()));
            assertThat(subjects).extracting(Subject::getName).containsOnly("gatehouse-controller");
        });
    }
}
