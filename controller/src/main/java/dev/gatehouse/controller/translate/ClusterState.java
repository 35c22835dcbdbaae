package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;

import java.util.List;
import java.util.Objects;

/**
 * Everything the translator reads: the four custom resources, the Kubernetes Services and
 * EndpointSlices that Upstreams and Ingress backends reference, the credential Secrets, and the
 * Ingresses and IngressClasses (networking.k8s.io/v1), and the Gateway API objects. Filled from informer
 * caches in a cluster, or from files in local mode. {@link #toString()} gives counts only: a
 * Fabric8 Secret prints its data, which holds the API key.
 */
public record ClusterState(List<Upstream> upstreams, List<GatewayService> services, List<GatewayRoute> routes,
                           List<Consumer> consumers, List<Service> kubeServices, List<EndpointSlice> endpointSlices,
                           List<Secret> secrets, List<Ingress> ingresses, List<IngressClass> ingressClasses,
                           GatewayApiState gatewayApi) {
    /** A Service's index key, {@code namespace/name}. */
    static final java.util.function.Function<Service, String> SERVICE_KEY = Sources::key;
    /** An EndpointSlice's index key, its Service's {@code namespace/name} (null without the label). */
    static final java.util.function.Function<EndpointSlice, String> SLICE_SERVICE_KEY = EndpointTargets::serviceOf;
    /** A Secret's index key, {@code namespace/name}. */
    static final java.util.function.Function<Secret, String> SECRET_KEY = Sources::key;
    public static final ClusterState EMPTY = new ClusterState(null, null, null, null, null, null, null);

    /** The state without Gateway API inputs. */
    public ClusterState(List<Upstream> upstreams, List<GatewayService> services, List<GatewayRoute> routes,
                        List<Consumer> consumers, List<Service> kubeServices, List<EndpointSlice> endpointSlices,
                        List<Secret> secrets, List<Ingress> ingresses, List<IngressClass> ingressClasses) {
        this(upstreams, services, routes, consumers, kubeServices, endpointSlices, secrets, ingresses, ingressClasses, null);
    }

    /** The state without Ingress inputs. */
    public ClusterState(List<Upstream> upstreams, List<GatewayService> services, List<GatewayRoute> routes,
                        List<Consumer> consumers, List<Service> kubeServices, List<EndpointSlice> endpointSlices,
                        List<Secret> secrets) {
        this(upstreams, services, routes, consumers, kubeServices, endpointSlices, secrets, null, null);
    }

    /** This state with the given Ingresses and IngressClasses (every Ingress, of any class: the translator selects). */
    public ClusterState withIngress(List<Ingress> ingresses, List<IngressClass> ingressClasses) {
        return new ClusterState(upstreams, services, routes, consumers, kubeServices, endpointSlices, secrets,
                ingresses, ingressClasses, gatewayApi);
    }

    /** This state with the given Gateway API objects (of every class: the translator selects). */
    public ClusterState withGatewayApi(GatewayApiState gatewayApi) {
        return new ClusterState(upstreams, services, routes, consumers, kubeServices, endpointSlices, secrets,
                ingresses, ingressClasses, gatewayApi);
    }

    public ClusterState {
        upstreams = List.copyOf(Objects.requireNonNullElse(upstreams, List.of()));
        services = List.copyOf(Objects.requireNonNullElse(services, List.of()));
        routes = List.copyOf(Objects.requireNonNullElse(routes, List.of()));
        consumers = List.copyOf(Objects.requireNonNullElse(consumers, List.of()));
        kubeServices = IndexedList.of(kubeServices, SERVICE_KEY);
        endpointSlices = IndexedList.of(endpointSlices, SLICE_SERVICE_KEY);
        secrets = IndexedList.of(secrets, SECRET_KEY);
        ingresses = List.copyOf(Objects.requireNonNullElse(ingresses, List.of()));
        ingressClasses = List.copyOf(Objects.requireNonNullElse(ingressClasses, List.of()));
        gatewayApi = Objects.requireNonNullElse(gatewayApi, GatewayApiState.EMPTY);
    }

    /** The Service {@code namespace/name}, or null: one index lookup. */
    Service kubeService(String namespace, String name) {
        List<Service> found = ((IndexedList<Service>) kubeServices).get(namespace + "/" + name);
        return found.isEmpty() ? null : found.get(0);
    }

    /** The EndpointSlices labelled with Service {@code namespace/name}, in list order: one index lookup. */
    List<EndpointSlice> endpointSlicesOf(String namespace, String service) {
        return ((IndexedList<EndpointSlice>) endpointSlices).get(namespace + "/" + service);
    }

    /**
     * The Secret {@code namespace/name}, or null: one index lookup. When two lists held it (a
     * key-auth Secret of type kubernetes.io/tls comes from both informers), the last one.
     */
    public Secret secret(String key) {
        return ((IndexedList<Secret>) secrets).last(key);
    }

    /**
     * Every Service, {@code namespace/name}, that translations of this state looked up (as a
     * Service or by its EndpointSlices), found or not: Upstream {@code serviceRef}s, Ingress and
     * HTTPRoute backends alike. The controller passes over events of other Services and their
     * EndpointSlices, which cannot change the snapshot.
     */
    public java.util.Set<String> servicesReferenced() {
        java.util.Set<String> out = new java.util.HashSet<>(((IndexedList<Service>) kubeServices).asked());
        out.addAll(((IndexedList<EndpointSlice>) endpointSlices).asked());
        return out;
    }

    /**
     * From now on, also adds to {@code into} every Service looked up (as a Service or by its
     * EndpointSlices); null stops. The incremental translator sets it after the Upstream step, so it
     * knows which Services later steps (Ingress and HTTPRoute backends) read: an EndpointSlice change
     * of such a Service is not an Upstream-only change ({@link IncrementalTranslator#endpoints}).
     */
    @SuppressWarnings("unchecked")
    void alsoAskedInto(java.util.Set<String> into) {
        ((IndexedList<Service>) kubeServices).alsoInto(into);
        ((IndexedList<EndpointSlice>) endpointSlices).alsoInto(into);
    }

    /** The Service an EndpointSlice belongs to, {@code namespace/name} (its {@code kubernetes.io/service-name} label); null without one. */
    public static String serviceOf(EndpointSlice slice) {
        return EndpointTargets.serviceOf(slice);
    }

    @Override
    public String toString() {
        return "ClusterState[upstreams=" + upstreams.size() + ", services=" + services.size() + ", routes=" + routes.size()
                + ", consumers=" + consumers.size() + ", kubeServices=" + kubeServices.size() + ", endpointSlices="
                + endpointSlices.size() + ", secrets=" + secrets.size() + " (data not shown), ingresses=" + ingresses.size()
                + ", ingressClasses=" + ingressClasses.size() + ", gatewayApi=" + gatewayApi + "]";
    }
}
