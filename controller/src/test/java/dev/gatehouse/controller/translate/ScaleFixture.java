package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.ConsumerSpec;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.api.v1alpha1.Plugins;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.api.v1alpha1.UpstreamSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects of the scale issue's cluster, shaped as bench/scale's generator makes them:
 * GatewayService {@code gs-j} → Upstream {@code u-(j mod upstreams)} → Service {@code svc-i}
 * whose EndpointSlices (100 endpoints each) hold the endpoints; route {@code r-k} on host
 * {@code h(k/10)}, path {@code /p<k>}, every 20th with a regex path too, every 10th with key-auth;
 * consumer {@code c-m} with key Secret {@code key-m}.
 */
record ScaleFixture(int services, int routes, int upstreams, int endpoints, int consumers) {
    static final ScaleFixture FULL = new ScaleFixture(5_000, 10_000, 2_000, 50_000, 10_000);
    static final String NS = "default";
    static final int SLICE_SIZE = 100;

    ClusterState state() {
        List<Upstream> us = new ArrayList<>();
        List<Service> svcs = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        for (int i = 0; i < upstreams; i++) {
            us.add(upstream(i));
            svcs.add(service(i));
            slices.addAll(slices(i, 0));
        }
        List<GatewayService> gs = new ArrayList<>();
        for (int j = 0; j < services; j++) {
            gs.add(gatewayService(j));
        }
        List<GatewayRoute> rs = new ArrayList<>();
        for (int k = 0; k < routes; k++) {
            rs.add(route(k, "/p" + k));
        }
        List<Consumer> cs = new ArrayList<>();
        List<Secret> secrets = new ArrayList<>();
        for (int m = 0; m < consumers; m++) {
            cs.add(consumer(m));
            secrets.add(secret(m, "bench-key-" + m + "-0123456789abcdef"));
        }
        return new ClusterState(us, gs, rs, cs, svcs, slices, secrets);
    }

    static ObjectMeta meta(String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace(NS).withCreationTimestamp("2026-01-01T00:00:00Z").build();
    }

    static Upstream upstream(int i) {
        Upstream u = new Upstream();
        u.setMetadata(meta("u-" + i));
        UpstreamSpec spec = new UpstreamSpec();
        spec.serviceRef = new UpstreamSpec.ServiceRef();
        spec.serviceRef.name = "svc-" + i;
        spec.serviceRef.port = new IntOrString("http");
        u.setSpec(spec);
        return u;
    }

    static Service service(int i) {
        return new ServiceBuilder().withMetadata(meta("svc-" + i))
                .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(8080)).endPort().endSpec()
                .build();
    }

    int firstEndpoint(int i) {
        int base = endpoints / upstreams;
        return i * base + Math.min(i, endpoints % upstreams);
    }

    int endpointsOf(int i) {
        return endpoints / upstreams + (i < endpoints % upstreams ? 1 : 0);
    }

    /** Service {@code svc-i}'s slices; {@code shift} moves the last octet of every address (a rollout). */
    List<EndpointSlice> slices(int i, int shift) {
        List<EndpointSlice> out = new ArrayList<>();
        int first = firstEndpoint(i);
        int count = endpointsOf(i);
        for (int s = 0; s * SLICE_SIZE < count; s++) {
            List<Endpoint> eps = new ArrayList<>();
            for (int n = first + s * SLICE_SIZE; n < first + Math.min(count, (s + 1) * SLICE_SIZE); n++) {
                eps.add(new EndpointBuilder().withAddresses(address(n + shift))
                        .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions().build());
            }
            out.add(slice("svc-" + i + "-" + s, "svc-" + i, eps));
        }
        return out;
    }

    static EndpointSlice slice(String name, String service, List<Endpoint> endpoints) {
        ObjectMeta m = meta(name);
        m.setLabels(new HashMap<>(Map.of("kubernetes.io/service-name", service)));
        return new EndpointSliceBuilder().withMetadata(m).withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .withEndpoints(endpoints).build();
    }

    static String address(int n) {
        return "10." + ((n >> 16) & 0xff) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
    }

    GatewayService gatewayService(int j) {
        GatewayService s = new GatewayService();
        s.setMetadata(meta("gs-" + j));
        GatewayServiceSpec spec = new GatewayServiceSpec();
        spec.upstreamRef = new ObjectRef("u-" + (j % upstreams));
        s.setSpec(spec);
        return s;
    }

    /** Route {@code r-k} with its first path {@code path} (an edit changes it). */
    GatewayRoute route(int k, String path) {
        GatewayRoute r = new GatewayRoute();
        r.setMetadata(meta("r-" + k));
        GatewayRouteSpec spec = new GatewayRouteSpec();
        spec.serviceRef = new ObjectRef("gs-" + (k % services));
        spec.hosts = List.of("h" + (k / 10) + ".example.com");
        spec.paths = k % 20 == 0 ? List.of(path, "~/r" + k + "/\\d+$") : List.of(path);
        if (k % 10 == 0) {
            spec.plugins = new Plugins();
            spec.plugins.keyAuth = new Plugins.KeyAuth();
        }
        r.setSpec(spec);
        return r;
    }

    static Consumer consumer(int m) {
        Consumer c = new Consumer();
        c.setMetadata(meta("c-" + m));
        ConsumerSpec spec = new ConsumerSpec();
        spec.username = "user-" + m;
        spec.keyAuth = new ConsumerSpec.KeyAuth();
        spec.keyAuth.secretRefs = List.of(new ObjectRef("key-" + m));
        c.setSpec(spec);
        return c;
    }

    static Secret secret(int m, String key) {
        ObjectMeta meta = meta("key-" + m);
        meta.setLabels(new HashMap<>(Map.of("gatehouse.dev/credential", "key-auth")));
        return new SecretBuilder().withMetadata(meta)
                .addToData("key", Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8))).build();
    }
}
