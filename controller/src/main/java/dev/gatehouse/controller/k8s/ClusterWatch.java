package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.controller.keys.ApiKeys;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.ClusterStore;
import dev.gatehouse.controller.translate.ClusterStore.Kind;
import dev.gatehouse.controller.translate.Sources;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The informers: the four Gatehouse kinds, Services, EndpointSlices and the Secrets labelled
 * {@code gatehouse.dev/credential=key-auth}, in every namespace or in the given ones. Handlers
 * apply each event to the kept state ({@link ClusterStore}, matched by uid and resourceVersion)
 * and call {@code onChange} (mark dirty); a rebuild takes the kept state, not a listing of the
 * caches.
 * Events of Services and EndpointSlices mark dirty only for the Services the last translation
 * looked up ({@link #servicesReferenced}): Upstream {@code serviceRef}s, Ingress and HTTPRoute
 * backends. The caches still hold every Service and EndpointSlice of the watched namespaces (no
 * label or field selector can say "the Services some Upstream names"); the translator finds a
 * Service's slices through an index ({@link ClusterState}), not a scan.
 *
 * <p>TLS Secrets come from their own informers (field selector {@code type=kubernetes.io/tls}, so
 * the API server sends no other type) into the same Secret list the translator reads. Their events
 * mark dirty only when a route, an Ingress ({@link #alsoReferencedBy}) or the default certificate
 * names the Secret — looked up in an index of the routes by the Secret they name — so churn of
 * unrelated Secrets costs no rebuild, while a rotation of a named one does. The default
 * certificate's Secret, when outside the watched namespaces, gets an informer of its own.
 */
public final class ClusterWatch implements AutoCloseable {
    private final List<SharedIndexInformer<? extends HasMetadata>> upstreams = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> services = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> routes = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> consumers = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> kubeServices = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> slices = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> secrets = new ArrayList<>();
    private final List<SharedIndexInformer<? extends HasMetadata>> all = new ArrayList<>();
    private final List<Fed> fed = new ArrayList<>();
    private final ClusterStore store = new ClusterStore();
    static final String TLS_SECRET_INDEX = "gatehouse.dev/tls-secret";
    private final String defaultCertificate;
    private volatile Predicate<String> otherReferences = key -> false;
    /** Services ({@code namespace/name}) the last translation looked up; null before the first. */
    private volatile java.util.Set<String> servicesReferenced;

    /**
     * @param namespaces empty: every namespace
     * @param onChange   called on every add, update and delete; must be cheap
     */
    public ClusterWatch(KubernetesClient client, List<String> namespaces, Runnable onChange) {
        this(client, namespaces, null, onChange);
    }

    /**
     * @param namespaces         empty: every namespace
     * @param defaultCertificate the {@code --default-certificate-secret}, {@code namespace/name}; null for none
     * @param onChange           called on every add, update and delete that matters; must be cheap
     */
    public ClusterWatch(KubernetesClient client, List<String> namespaces, String defaultCertificate, Runnable onChange) {
        this(client, namespaces, defaultCertificate, onChange, (service, slice) -> onChange.run());
    }

    /** An event of a Service, or of an EndpointSlice, that the last translation looked up. */
    @FunctionalInterface
    public interface ServiceEvents {
        /**
         * @param service the Service's {@code namespace/name} (an EndpointSlice's from its
         *                {@code kubernetes.io/service-name} label); null for a slice without one
         * @param slice   the event was an EndpointSlice's (else the Service's own)
         */
        void changed(String service, boolean slice);
    }

    /**
     * @param namespaces         empty: every namespace
     * @param defaultCertificate the {@code --default-certificate-secret}, {@code namespace/name}; null for none
     * @param onChange           called on every add, update and delete that matters; must be cheap
     * @param onServices         called instead for a Service's or an EndpointSlice's, with the Service
     *                           (the most frequent change, which the controller serves on a path of its
     *                           own when only Upstreams' targets read it)
     */
    public ClusterWatch(KubernetesClient client, List<String> namespaces, String defaultCertificate, Runnable onChange,
                        ServiceEvents onServices) {
        this.defaultCertificate = defaultCertificate;
        ResourceEventHandler<HasMetadata> handler = marking(onChange);
        List<String> scopes = namespaces.isEmpty() ? java.util.Collections.singletonList(null) : namespaces;
        for (String ns : scopes) {
            add(upstreams, Kind.UPSTREAM, scoped(client.resources(Upstream.class), ns).runnableInformer(0), handler);
            add(services, Kind.GATEWAY_SERVICE, scoped(client.resources(GatewayService.class), ns).runnableInformer(0), handler);
            add(routes, Kind.GATEWAY_ROUTE, scoped(client.resources(GatewayRoute.class), ns)
                    .withIndexers(Map.of(TLS_SECRET_INDEX, ClusterWatch::tlsSecretOf)).runnableInformer(0), handler);
            add(consumers, Kind.CONSUMER, scoped(client.resources(Consumer.class), ns).runnableInformer(0), handler);
            java.util.function.Function<HasMetadata, String> sliceService = o -> ClusterState.serviceOf((EndpointSlice) o);
            add(kubeServices, Kind.SERVICE, scoped(client.services(), ns).runnableInformer(0),
                    referencedOnly(serviceMarking(onServices, Sources::key, false), Sources::key));
            add(slices, Kind.ENDPOINT_SLICE, scoped(client.discovery().v1().endpointSlices(), ns).runnableInformer(0),
                    referencedOnly(serviceMarking(onServices, sliceService, true), sliceService));
            add(secrets, Kind.SECRET, ns == null
                    ? client.secrets().inAnyNamespace().withLabel(ApiKeys.CREDENTIAL_LABEL, ApiKeys.KEY_AUTH).runnableInformer(0)
                    : client.secrets().inNamespace(ns).withLabel(ApiKeys.CREDENTIAL_LABEL, ApiKeys.KEY_AUTH).runnableInformer(0), handler);
            add(secrets, Kind.SECRET, (ns == null ? client.secrets().inAnyNamespace() : client.secrets().inNamespace(ns))
                    .withField("type", dev.gatehouse.controller.translate.TlsSettings.SECRET_TYPE).runnableInformer(0), tlsHandler(onChange));
        }
        if (defaultCertificate != null && !namespaces.isEmpty()
                && !namespaces.contains(defaultCertificate.substring(0, defaultCertificate.indexOf('/')))) {
            add(secrets, Kind.SECRET, client.secrets().inNamespace(defaultCertificate.substring(0, defaultCertificate.indexOf('/')))
                    .withName(defaultCertificate.substring(defaultCertificate.indexOf('/') + 1)).runnableInformer(0), tlsHandler(onChange));
        }
        startAll();
    }

    /**
     * Starts every informer and waits until each has listed its objects. The lists run at once,
     * not one after another ({@code inform()} returns only once its list is done): at scale each is
     * seconds of the API server's encoding and this process's decoding, which two cores overlap.
     * A list that fails stops them all and throws, as {@code inform()} does.
     */
    private void startAll() {
        List<java.util.concurrent.CompletableFuture<Void>> lists = new ArrayList<>();
        for (SharedIndexInformer<? extends HasMetadata> informer : all) {
            lists.add(informer.start().toCompletableFuture());
        }
        try {
            java.util.concurrent.CompletableFuture.allOf(lists.toArray(java.util.concurrent.CompletableFuture[]::new)).join();
        } catch (java.util.concurrent.CompletionException e) {
            close();
            throw e.getCause() instanceof RuntimeException r ? r
                    : new io.fabric8.kubernetes.client.KubernetesClientException("informer list failed: " + e.getCause(), e.getCause());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Calls {@code onChange} on every add, update and delete but a status-only write to a Gatehouse kind. */
    private static ResourceEventHandler<HasMetadata> marking(Runnable onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                onChange.run();
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                // A status-only write by this controller bumps resourceVersion but not generation:
                // it needs no rebuild. Everything else (spec, labels, endpoints, data) does.
                if (oldObj.getMetadata().getGeneration() != null
                        && oldObj.getMetadata().getGeneration().equals(newObj.getMetadata().getGeneration())
                        && sameLabels(oldObj, newObj) && isCustom(newObj)) {
                    return;
                }
                onChange.run();
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                onChange.run();
            }
        };
    }

    /** Tells {@code events} of every add, update and delete, with the Service of the object (both, when an update moved it). */
    private static ResourceEventHandler<HasMetadata> serviceMarking(ServiceEvents events,
                                                                   java.util.function.Function<HasMetadata, String> serviceOf,
                                                                   boolean slice) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                events.changed(serviceOf.apply(obj), slice);
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                String before = serviceOf.apply(oldObj);
                String after = serviceOf.apply(newObj);
                if (!java.util.Objects.equals(before, after)) {
                    events.changed(before, slice);
                }
                events.changed(after, slice);
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                events.changed(serviceOf.apply(obj), slice);
            }
        };
    }

    /**
     * Passes on an event of a Service or an EndpointSlice only when the last translation looked
     * that Service up ({@link #servicesReferenced}); before the first one, every event. A Service
     * nothing references (most of a large cluster's) costs no rebuild when its pods roll.
     */
    private ResourceEventHandler<HasMetadata> referencedOnly(ResourceEventHandler<HasMetadata> handler,
                                                             java.util.function.Function<HasMetadata, String> serviceOf) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                if (referenced(obj)) {
                    handler.onAdd(obj);
                }
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                if (referenced(oldObj) || referenced(newObj)) {
                    handler.onUpdate(oldObj, newObj);
                }
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                if (referenced(obj)) {
                    handler.onDelete(obj, deletedFinalStateUnknown);
                }
            }

            private boolean referenced(HasMetadata obj) {
                java.util.Set<String> refs = servicesReferenced;
                String service = serviceOf.apply(obj);
                return refs == null || (service != null && refs.contains(service));
            }
        };
    }

    /**
     * The Services (and so the EndpointSlices) the last translation looked up. Call after each
     * translation, with {@link ClusterState#servicesReferenced()}.
     *
     * @return true when a Service is referenced now that was not before: its events until now
     *         were passed over, so the caller rebuilds once more to read them
     */
    public boolean servicesReferenced(java.util.Set<String> services) {
        java.util.Set<String> before = servicesReferenced;
        servicesReferenced = java.util.Set.copyOf(services);
        return before != null && !before.containsAll(services);
    }

    /** The index of GatewayRoutes by the Secret their {@code spec.tls} names, {@code namespace/name}. */
    static List<String> tlsSecretOf(GatewayRoute r) {
        if (r.getSpec() == null || r.getSpec().tls == null || r.getSpec().tls.secretName == null) {
            return List.of();
        }
        return List.of(dev.gatehouse.controller.translate.Sources.namespace(r) + "/" + r.getSpec().tls.secretName);
    }

    /**
     * Ingresses, Gateways (or other inputs) that name TLS Secrets, by {@code namespace/name};
     * consulted on every TLS Secret event. Each call adds one: a Secret matters when any names it.
     */
    public void alsoReferencedBy(Predicate<String> references) {
        this.otherReferences = this.otherReferences.or(java.util.Objects.requireNonNull(references, "references"));
    }

    /** Whether anything the translator reads names this Secret as a certificate. */
    boolean referenced(String key) {
        if (key.equals(defaultCertificate) || otherReferences.test(key)) {
            return true;
        }
        for (SharedIndexInformer<? extends HasMetadata> r : routes) {
            if (!r.getIndexer().byIndex(TLS_SECRET_INDEX, key).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private ResourceEventHandler<HasMetadata> tlsHandler(Runnable onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                if (referenced(dev.gatehouse.controller.translate.Sources.key(obj))) {
                    onChange.run();
                }
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                Secret before = (Secret) oldObj;
                Secret after = (Secret) newObj;
                // a new annotation or label (cert-manager's bookkeeping) changes nothing served
                if (java.util.Objects.equals(before.getData(), after.getData())
                        && java.util.Objects.equals(before.getType(), after.getType())) {
                    return;
                }
                onAdd(newObj);
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                onAdd(obj);
            }
        };
    }

    private static <T extends HasMetadata, L extends KubernetesResourceList<T>>
    io.fabric8.kubernetes.client.dsl.Informable<T> scoped(MixedOperation<T, L, ? extends Resource<T>> op, String ns) {
        return ns == null ? op.inAnyNamespace() : op.inNamespace(ns);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void add(List<SharedIndexInformer<? extends HasMetadata>> group, Kind kind,
                     SharedIndexInformer<? extends HasMetadata> informer, ResourceEventHandler<HasMetadata> handler) {
        ClusterStore.Feed feed = store.feed(kind);
        ((SharedIndexInformer) informer).addEventHandler(kept(feed, handler));
        group.add(informer);
        all.add(informer);
        fed.add(new Fed(informer, feed));
    }

    /** An informer and the feed of the kept state its events go to. */
    private record Fed(SharedIndexInformer<? extends HasMetadata> informer, ClusterStore.Feed feed) {
    }

    /**
     * Applies each event to the kept state first, then passes it on to {@code handler} (which
     * decides whether to mark dirty) only when it changed the kept state: a replayed or stale
     * event costs no rebuild.
     */
    private ResourceEventHandler<HasMetadata> kept(ClusterStore.Feed feed, ResourceEventHandler<HasMetadata> handler) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                if (store.upsert(feed, obj) == ClusterStore.Outcome.APPLIED) {
                    handler.onAdd(obj);
                }
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                if (store.upsert(feed, newObj) == ClusterStore.Outcome.APPLIED) {
                    handler.onUpdate(oldObj, newObj);
                }
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                if (store.delete(feed, obj) == ClusterStore.Outcome.APPLIED) {
                    handler.onDelete(obj, deletedFinalStateUnknown);
                }
            }
        };
    }

    private static boolean sameLabels(HasMetadata a, HasMetadata b) {
        return java.util.Objects.equals(a.getMetadata().getLabels(), b.getMetadata().getLabels());
    }

    private static boolean isCustom(HasMetadata o) {
        return o instanceof Upstream || o instanceof GatewayService || o instanceof GatewayRoute || o instanceof Consumer;
    }

    /** True once every informer has listed its objects. */
    public boolean synced() {
        return all.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /**
     * The cluster state kept from the informer events ({@link ClusterStore}): no cache is listed.
     * Call {@link #reconcile()} once the informers have synced before the first one.
     */
    public ClusterState state() {
        return store.state();
    }

    /**
     * Sets the kept state to the informer caches, feed by feed ({@link ClusterStore#replace}):
     * before the first translation (the informers deliver their initial adds on their own threads,
     * which may lag {@link #synced()}), and from time to time as a check that the events kept it
     * right. Lists every cache: O(objects).
     *
     * @return objects added, replaced or removed; 0 when the events had kept the state right
     */
    public int reconcile() {
        int differences = 0;
        for (Fed f : fed) {
            differences += store.replace(f.feed(), f.informer().getStore().list());
        }
        return differences;
    }

    /** The kept state's counts of events received and passed over as stale. */
    public ClusterStore store() {
        return store;
    }

    @Override
    public void close() {
        all.forEach(SharedIndexInformer::close);
    }
}
