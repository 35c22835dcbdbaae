package dev.gatehouse.e2e;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.app.ProxyCommand;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.util.List;

import static dev.gatehouse.e2e.Cluster.NS;

/**
 * What the cluster drills share: the seed applied with Service {@code echo}'s pods as targets,
 * each pod a {@link DrillBackend} on loopback, and the changes a user makes (kubectl patch).
 */
final class DrillCluster {
    private DrillCluster() {
    }

    /** Service echo, one EndpointSlice per backend (all ready), and the seed pointed at them. */
    static void apply(KubernetesClient client, List<DrillBackend> pods) throws java.io.IOException {
        client.resource(Cluster.service("echo")).create();
        for (DrillBackend pod : pods) {
            client.resource(slice(pod, true)).create();
        }
        Cluster.applySeedWithPods(client);
    }

    /** The EndpointSlice {@code echo-<name>} of Service echo holding {@code pod}, ready or not. */
    static EndpointSlice slice(DrillBackend pod, boolean ready) {
        return new EndpointSliceBuilder().withNewMetadata().withName("echo-" + pod.name()).withNamespace(NS)
                .addToLabels("kubernetes.io/service-name", "echo").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(pod.port()).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("127.0.0.1")
                .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
                .endEndpoint()
                .build();
    }

    /** kubectl patch gatehouseroute root --type merge -p '{"spec":{"priority":n}}' */
    static void patchRootPriority(KubernetesClient client, int priority) {
        client.resources(GatewayRoute.class).inNamespace(NS).withName("root")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"priority\":" + priority + "}}");
    }

    /** kubectl patch upstream moesif --type merge -p '{"spec":{"algorithm":...}}' */
    static void patchAlgorithm(KubernetesClient client, String algorithm) {
        client.resources(Upstream.class).inNamespace(NS).withName("moesif")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"algorithm\":\"" + algorithm + "\"}}");
    }

    /** True when {@code proxy} serves route root with {@code priority}. */
    static boolean hasRootPriority(ProxyCommand.Running proxy, int priority) {
        return proxy.proxy.current().routes().stream().anyMatch(r -> r.id().equals(NS + "/root") && r.priority() == priority);
    }

    /** Snapshots the proxy applied so far (its gatehouse_snapshots_applied_total). */
    static double applied(ProxyCommand.Running proxy) {
        return proxy.proxy.metrics().registry().get("gatehouse.snapshots.applied").counter().count();
    }
}
