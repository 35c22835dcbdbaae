package dev.gatehouse.bench.scale;

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
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The objects of a {@link Shape}, as a user would apply them: the same Gatehouse objects in
 * both modes; in cluster mode Upstreams name a Service whose EndpointSlices hold the endpoints,
 * in local mode they list the same endpoints as static targets.
 */
final class Generator {
    static final String NS = "default";
    /** The port every endpoint (and static target) listens on: nothing does, no request goes there. */
    static final int POD_PORT = 8080;
    private final Shape shape;

    Generator(Shape shape) {
        this.shape = requireNonNull(shape, "shape");
    }

    static ObjectMeta meta(String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace(NS).build();
    }

    /** Upstream {@code u-i}: Service {@code svc-i}'s port http, or (local) its endpoints as static targets. */
    Upstream upstream(int i, boolean staticTargets) {
        Upstream u = new Upstream();
        u.setMetadata(meta("u-" + i));
        UpstreamSpec spec = new UpstreamSpec();
        if (staticTargets) {
            spec.targets = new ArrayList<>();
            int first = firstEndpoint(i);
            for (int n = first; n < first + shape.endpointsOf(i); n++) {
                spec.targets.add(new UpstreamSpec.Target(Shape.address(n) + ":" + POD_PORT, null));
            }
        } else {
            spec.serviceRef = new UpstreamSpec.ServiceRef();
            spec.serviceRef.name = "svc-" + i;
            spec.serviceRef.port = new IntOrString("http");
        }
        u.setSpec(spec);
        return u;
    }

    /** The number of upstream {@code i}'s first endpoint, counting from 0 over all upstreams. */
    int firstEndpoint(int i) {
        int base = shape.endpoints() / shape.upstreams();
        return i * base + Math.min(i, shape.endpoints() % shape.upstreams());
    }

    static Service service(int i) {
        return new ServiceBuilder().withMetadata(meta("svc-" + i))
                .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(POD_PORT)).endPort().endSpec()
                .build();
    }

    /** Service {@code svc-i}'s EndpointSlices, {@link Shape#SLICE_SIZE} ready endpoints each at most. */
    List<EndpointSlice> slices(int i) {
        List<EndpointSlice> out = new ArrayList<>();
        int first = firstEndpoint(i);
        int count = shape.endpointsOf(i);
        for (int s = 0; s * Shape.SLICE_SIZE < count; s++) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (int n = first + s * Shape.SLICE_SIZE; n < first + Math.min(count, (s + 1) * Shape.SLICE_SIZE); n++) {
                endpoints.add(endpoint(Shape.address(n), true, false));
            }
            out.add(slice("svc-" + i + "-" + s, "svc-" + i, endpoints));
        }
        return out;
    }

    static EndpointSlice slice(String name, String service, List<Endpoint> endpoints) {
        ObjectMeta m = meta(name);
        m.setLabels(new java.util.HashMap<>(java.util.Map.of("kubernetes.io/service-name", service)));
        return new EndpointSliceBuilder().withMetadata(m).withAddressType("IPv4")
                .addNewPort().withName("http").withPort(POD_PORT).withProtocol("TCP").endPort()
                .withEndpoints(endpoints).build();
    }

    /** An endpoint as the EndpointSlice controller writes it: ready, or terminating and still serving. */
    static Endpoint endpoint(String address, boolean ready, boolean terminating) {
        return new EndpointBuilder().withAddresses(address)
                .withNewConditions().withReady(ready).withServing(ready || terminating).withTerminating(terminating).endConditions()
                .build();
    }

    GatewayService gatewayService(int j) {
        GatewayService s = new GatewayService();
        s.setMetadata(meta("gs-" + j));
        GatewayServiceSpec spec = new GatewayServiceSpec();
        spec.upstreamRef = new ObjectRef("u-" + (j % shape.upstreams()));
        s.setSpec(spec);
        return s;
    }

    GatewayRoute route(int k) {
        GatewayRoute r = new GatewayRoute();
        r.setMetadata(meta("r-" + k));
        GatewayRouteSpec spec = new GatewayRouteSpec();
        spec.serviceRef = new ObjectRef("gs-" + (k % shape.services()));
        spec.hosts = List.of("h" + (k % shape.hosts()) + ".example.com");
        spec.paths = k % Shape.REGEX_EVERY == 0 ? List.of("/p" + k, "~/r" + k + "/\\d+$") : List.of("/p" + k);
        if (k % Shape.KEY_AUTH_EVERY == 0) {
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

    /** Consumer {@code c-m}'s key, as {@code data} (base64): the mock API server never folds {@code stringData}. */
    static Secret secret(int m) {
        ObjectMeta meta = meta("key-" + m);
        meta.setLabels(new java.util.HashMap<>(java.util.Map.of("gatehouse.dev/credential", "key-auth")));
        String key = "bench-key-" + m + "-0123456789abcdef";
        return new SecretBuilder().withMetadata(meta)
                .addToData("key", Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8))).build();
    }
}
