package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The controller pods accept the channel port only from this release's proxy pods, and the
 * status port from anyone (or the peers given); nothing else. Values turn it off.
 */
class NetworkPolicyTest {

    static NetworkPolicy policy(List<HasMetadata> objects) {
        return Chart.one(objects, NetworkPolicy.class, "gatehouse-controller");
    }

    @Test
    void onlyProxyPodsReachTheChannelPortAndAnyoneTheStatusPort() {
        List<HasMetadata> objects = Chart.parse(Chart.renderDefault());
        NetworkPolicy policy = policy(objects);
        Deployment controller = RenderedObjectsTest.controller(objects);
        Deployment proxy = RenderedObjectsTest.proxy(objects);
        assertThat(policy.getSpec().getPodSelector().getMatchLabels()).isEqualTo(controller.getSpec().getSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        List<NetworkPolicyIngressRule> rules = policy.getSpec().getIngress();
        assertThat(rules).hasSize(2);

        NetworkPolicyIngressRule channel = rules.get(0);
        assertThat(channel.getPorts()).extracting(p -> p.getProtocol(), p -> p.getPort().getIntVal()).containsExactly(tuple("TCP", 18000));
        assertThat(channel.getFrom()).singleElement().satisfies(peer -> {
            assertThat(peer.getNamespaceSelector()).as("this namespace only").isNull();
            assertThat(peer.getIpBlock()).isNull();
            Map<String, String> allowed = peer.getPodSelector().getMatchLabels();
            assertThat(allowed).isEqualTo(proxy.getSpec().getSelector().getMatchLabels());
            assertThat(proxy.getSpec().getTemplate().getMetadata().getLabels()).as("proxy pods carry them").containsAllEntriesOf(allowed);
            assertThat(controller.getSpec().getTemplate().getMetadata().getLabels()).as("controller pods do not")
                    .doesNotContainEntry("app.kubernetes.io/component", "proxy");
        });
        Service service = Chart.one(objects, Service.class, "gatehouse-channel");
        assertThat(RenderedObjectsTest.only(controller).getPorts()).filteredOn(p -> p.getName().equals(service.getSpec().getPorts().get(0)
                .getTargetPort().getStrVal())).extracting(p -> p.getContainerPort()).as("the Service's target port is the policy's")
                .containsExactly(18000);

        NetworkPolicyIngressRule status = rules.get(1);
        assertThat(status.getPorts()).extracting(p -> p.getProtocol(), p -> p.getPort().getIntVal()).containsExactly(tuple("TCP", 8100));
        assertThat(status.getFrom()).as("probes and scrapers from anywhere, as without the policy").isEmpty();
    }

    @Test
    void theStatusPortCanBeNarrowedAndThePolicyTurnedOff() {
        NetworkPolicy narrowed = policy(Chart.parse(Chart.template()
                .set("networkPolicy.statusFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name", "monitoring").call()));
        assertThat(narrowed.getSpec().getIngress().get(1).getFrom()).singleElement().satisfies(peer ->
                assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(Map.entry("kubernetes.io/metadata.name", "monitoring")));
        assertThat(narrowed.getSpec().getIngress().get(0).getFrom()).hasSize(1);

        List<HasMetadata> off = Chart.parse(Chart.template().set("networkPolicy.enabled", false).call());
        assertThat(Chart.ofKind(off, NetworkPolicy.class)).isEmpty();
    }
}
