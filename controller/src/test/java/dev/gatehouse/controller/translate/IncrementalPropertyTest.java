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
import dev.gatehouse.config.SnapshotCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Incremental translation is the full translation: for random sequences of adds, updates (a new
 * object, as an informer hands out), re-lists (a new but equal object) and deletes of Upstreams,
 * GatewayServices, GatewayRoutes, Consumers, Services, EndpointSlices, Secrets and Ingresses, in
 * two namespaces with few names (so references resolve, break, and conflict: equal matches, keys
 * claimed twice, missing and unlabelled Secrets, url services, anonymous consumers), after every
 * event the incremental translator's snapshot is byte for byte the full translation's and every
 * status is equal, and it never had to fall back. Gatehouse's own kinds carry a uid (new after a
 * delete) and a generation bumped when their spec changes, as the API server's do: an update with
 * the same spec is a status write come back (a new object of the same uid and generation, which
 * the memo takes for the one it translated, {@link Sources#sameSpec}).
 */
class IncrementalPropertyTest {
    static final String[] KINDS = {"Upstream", "GatewayService", "GatewayRoute", "Consumer", "Service", "EndpointSlice", "Secret",
            "Ingress"};
    static final String[] NAMESPACES = {"default", "team"};
    static final TlsSettings TLS = new TlsSettings(null, Instant.parse("2026-06-01T00:00:00Z"));

    /** One event: kind, namespace, name and variant (which fields an update sets); delete or put. */
    record Event(int kind, int ns, int name, int variant, boolean delete) {
    }

    @Property(tries = 200)
    void incrementalEqualsFullAfterEveryEvent(@ForAll("events") List<Event> events) {
        Map<String, HasMetadata> objects = new LinkedHashMap<>();
        IncrementalTranslator incremental = new IncrementalTranslator(Integer.MAX_VALUE);
        Map<String, Event> specs = new java.util.HashMap<>();
        Map<String, ObjectMeta> incarnations = new java.util.HashMap<>();
        long versions = 0;
        for (Event e : events) {
            String key = KINDS[e.kind] + "/" + NAMESPACES[e.ns] + "/" + e.name;
            if (e.delete) {
                objects.remove(key);
                incarnations.remove(key);
            } else {
                HasMetadata o = make(e);
                if (e.kind < 4) { // Gatehouse's own kinds: uid, generation and resourceVersion as the API server gives them
                    ObjectMeta was = incarnations.get(key);
                    Event before = specs.put(key, e);
                    ObjectMeta m = o.getMetadata();
                    m.setUid(was == null ? key + "#" + versions : was.getUid());
                    m.setGeneration(was == null ? 1L : before.variant() == e.variant() ? was.getGeneration() : was.getGeneration() + 1);
                    m.setResourceVersion(Long.toString(++versions));
                    incarnations.put(key, m);
                }
                objects.put(key, o);
            }
            ClusterState state = state(objects.values());
            Translation full = Translator.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
            Translation inc = incremental.translate(state, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
            assertThat(new String(SnapshotCodec.toJson(inc.snapshot()), StandardCharsets.UTF_8)).as("snapshot after %s", e)
                    .isEqualTo(new String(SnapshotCodec.toJson(full.snapshot()), StandardCharsets.UTF_8));
            assertThat(inc.statuses()).as("statuses after %s", e).isEqualTo(full.statuses());
            assertThat(IncrementalTranslator.difference(inc, full)).as("after %s", e).isNull();
            assertThat(state.servicesReferenced()).as("Services referenced after %s", e)
                    .isEqualTo(referenced(objects.values()));
        }
        assertThat(incremental.mismatches()).isZero();
    }

    /** The Services a full translation of a fresh state looks up. */
    private static java.util.Set<String> referenced(java.util.Collection<HasMetadata> objects) {
        ClusterState fresh = state(objects);
        Translator.translate(fresh, IngressSelection.DEFAULT, GatewaySelection.DEFAULT, TLS);
        return fresh.servicesReferenced();
    }

    @Provide
    Arbitrary<List<Event>> events() {
        Arbitrary<Event> event = Combinators.combine(Arbitraries.integers().between(0, KINDS.length - 1),
                Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 5).map(i -> i == 0))
                .as(Event::new);
        return event.list().ofMinSize(1).ofMaxSize(40);
    }

    static ClusterState state(java.util.Collection<HasMetadata> objects) {
        List<Upstream> us = new ArrayList<>();
        List<GatewayService> gs = new ArrayList<>();
        List<GatewayRoute> rs = new ArrayList<>();
        List<Consumer> cs = new ArrayList<>();
        List<Service> svcs = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        List<Secret> secrets = new ArrayList<>();
        List<Ingress> ingresses = new ArrayList<>();
        for (HasMetadata o : objects) {
            if (o instanceof Upstream u) {
                us.add(u);
            } else if (o instanceof GatewayService s) {
                gs.add(s);
            } else if (o instanceof GatewayRoute r) {
                rs.add(r);
            } else if (o instanceof Consumer c) {
                cs.add(c);
            } else if (o instanceof Service s) {
                svcs.add(s);
            } else if (o instanceof EndpointSlice s) {
                slices.add(s);
            } else if (o instanceof Secret s) {
                secrets.add(s);
            } else {
                ingresses.add((Ingress) o);
            }
        }
        return new ClusterState(us, gs, rs, cs, svcs, slices, secrets, ingresses, List.of());
    }

    private static ObjectMeta meta(Event e, String prefix) {
        return new ObjectMetaBuilder().withName(prefix + e.name).withNamespace(NAMESPACES[e.ns])
                .withCreationTimestamp("2026-01-0" + (1 + (e.variant + e.name) % 3) + "T00:00:00Z").build();
    }

    static HasMetadata make(Event e) {
        int v = e.variant;
        return switch (KINDS[e.kind]) {
            case "Upstream" -> {
                Upstream u = new Upstream();
                u.setMetadata(meta(e, "u"));
                UpstreamSpec spec = new UpstreamSpec();
                if (v % 4 == 3) {
                    spec.targets = List.of(new UpstreamSpec.Target("10.9.0." + v + ":80", null));
                } else {
                    spec.serviceRef = new UpstreamSpec.ServiceRef();
                    spec.serviceRef.name = "svc" + (v % 3);
                    spec.serviceRef.port = v == 5 ? new IntOrString(81) : new IntOrString("http");
                    spec.serviceRef.namespace = v == 6 ? "elsewhere" : null;
                }
                if (v == 7) {
                    spec.slowStart = "soon"; // invalid
                }
                u.setSpec(spec);
                yield u;
            }
            case "GatewayService" -> {
                GatewayService s = new GatewayService();
                s.setMetadata(meta(e, "gs"));
                GatewayServiceSpec spec = new GatewayServiceSpec();
                if (v == 6) {
                    spec.url = "http://backend.internal:8080/base";
                } else if (v != 7) {
                    spec.upstreamRef = new ObjectRef("u" + (v % 3));
                }
                if (v % 2 == 1) {
                    spec.plugins = new Plugins();
                    spec.plugins.keyAuth = new Plugins.KeyAuth();
                    spec.plugins.keyAuth.anonymous = v == 3 ? "c" + (v % 3) : null;
                }
                s.setSpec(spec);
                yield s;
            }
            case "GatewayRoute" -> {
                GatewayRoute r = new GatewayRoute();
                r.setMetadata(meta(e, "r"));
                GatewayRouteSpec spec = new GatewayRouteSpec();
                spec.serviceRef = new ObjectRef("gs" + (v % 3));
                spec.hosts = List.of("h" + (v % 2) + ".example.com");
                spec.paths = v == 7 ? List.of("/a/../b") : List.of("/p" + (v % 3), "~/x" + v + "/\\d+$");
                if (v >= 4) {
                    spec.plugins = new Plugins();
                    spec.plugins.keyAuth = new Plugins.KeyAuth();
                    spec.plugins.keyAuth.anonymous = "c" + (v % 3);
                }
                if (v == 5) {
                    spec.tls = new GatewayRouteSpec.Tls();
                    spec.tls.secretName = "tls" + e.name;
                    spec.httpsRedirect = true;
                }
                r.setSpec(spec);
                yield r;
            }
            case "Consumer" -> {
                Consumer c = new Consumer();
                c.setMetadata(meta(e, "c"));
                ConsumerSpec spec = new ConsumerSpec();
                spec.username = v == 7 ? null : "user" + e.name;
                spec.keyAuth = new ConsumerSpec.KeyAuth();
                spec.keyAuth.secretRefs = v % 3 == 2 ? List.of(new ObjectRef("key" + (v % 3)), new ObjectRef("key" + e.name))
                        : List.of(new ObjectRef("key" + (v % 3)));
                spec.keyAuth.generate = v == 4 ? true : null;
                c.setSpec(spec);
                yield c;
            }
            case "Service" -> new ServiceBuilder().withMetadata(meta(e, "svc")).withNewSpec().addNewPort()
                    .withName(v == 7 ? "web" : "http").withPort(80).endPort().endSpec().build();
            case "EndpointSlice" -> {
                ObjectMeta m = meta(e, "slice");
                m.setLabels(Map.of("kubernetes.io/service-name", "svc" + (v % 3)));
                yield new EndpointSliceBuilder().withMetadata(m).withAddressType("IPv4")
                        .addNewPort().withName("http").withPort(8080).endPort()
                        .addToEndpoints(new EndpointBuilder().withAddresses("10.0." + e.name + "." + v)
                                .withNewConditions().withReady(v != 6).withServing(true).withTerminating(v == 6).endConditions().build())
                        .build();
            }
            case "Secret" -> {
                ObjectMeta m = meta(e, e.name == 2 && v == 4 ? "c" : "key");
                if (e.name == 2 && v == 4) {
                    m.setName("c0-key-auth"); // what keyAuth.generate of consumer c0 names
                }
                m.setLabels(v == 7 ? Map.of() : Map.of("gatehouse.dev/credential", "key-auth"));
                yield new SecretBuilder().withMetadata(m)
                        .addToData("key", Base64.getEncoder().encodeToString(("k" + (v % 3)).getBytes(StandardCharsets.UTF_8)))
                        .build();
            }
            case "Ingress" -> new IngressBuilder().withMetadata(meta(e, "ing")).withNewSpec().withIngressClassName("gatehouse").addNewRule()
                    .withHost("h" + (v % 2) + ".example.com").withNewHttp().addNewPath().withPath("/p" + (v % 3))
                    .withPathType("Prefix").withNewBackend().withNewService().withName("svc" + (v % 3)).withNewPort()
                    .withName("http").endPort().endService().endBackend().endPath().endHttp().endRule().endSpec().build();
            default -> throw new IllegalArgumentException("kind: " + e.kind);
        };
    }
}
