package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.KeyAuthFilter;
import dev.gatehouse.controller.translate.GatewayApiState;
import dev.gatehouse.controller.translate.GatewaySelection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ReferenceGrant;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The informers of the Gateway API input (gateway.networking.k8s.io/v1), beside {@link ClusterWatch}:
 * GatewayClasses and Namespaces (cluster-scoped), Gateways, HTTPRoutes and ReferenceGrants in every
 * watched namespace, and the proxy Service named by {@code --publish-service} (its address goes
 * into Gateway status). Only changes that can matter mark the state dirty: a status-only write
 * (ours or another controller's) bumps neither generation nor labels and causes no rebuild; a
 * Gateway of another class causes none; a Namespace only when its labels change (they feed
 * {@code allowedRoutes} selectors). Gateways are indexed by the Secrets their HTTPS listeners name
 * ({@link #referencesSecret}), so a change of such a Secret rebuilds and others do not. KeyAuthFilters
 * (gatehouse.dev), which only HTTPRoutes read, are watched here too.
 */
public final class GatewayWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayWatch.class);
    private final GatewaySelection selection;
    private final SharedIndexInformer<GatewayClass> classes;
    private final SharedIndexInformer<Namespace> namespaces;
    private final List<SharedIndexInformer<Gateway>> gateways = new ArrayList<>();
    private final List<SharedIndexInformer<HTTPRoute>> routes = new ArrayList<>();
    private final List<SharedIndexInformer<ReferenceGrant>> grants = new ArrayList<>();
    private final List<SharedIndexInformer<KeyAuthFilter>> keyAuthFilters = new ArrayList<>();
    private final SharedIndexInformer<Service> publish;
    private final List<SharedIndexInformer<?>> all = new ArrayList<>();
    static final String CERTIFICATE_INDEX = "gatehouse.dev/certificate-secrets";

    /**
     * @param namespaces    empty: every namespace
     * @param publishService {@code namespace/name} of the proxy Service, or null
     * @param onChange      called when something that matters changed; must be cheap
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the Gateway API CRDs are not installed
     */
    public GatewayWatch(KubernetesClient client, List<String> namespaces, GatewaySelection selection, String publishService,
                        Runnable onChange) {
        this.selection = selection;
        try {
            classes = track(client.resources(GatewayClass.class).inform(), handler(onChange, o -> true));
            this.namespaces = track(client.namespaces().inform(), new ResourceEventHandler<>() {
                @Override
                public void onAdd(Namespace obj) {
                    onChange.run();
                }

                @Override
                public void onUpdate(Namespace oldObj, Namespace newObj) {
                    if (!Objects.equals(oldObj.getMetadata().getLabels(), newObj.getMetadata().getLabels())) {
                        onChange.run();
                    }
                }

                @Override
                public void onDelete(Namespace obj, boolean deletedFinalStateUnknown) {
                    onChange.run();
                }
            });
            List<String> scopes = namespaces.isEmpty() ? Collections.singletonList(null) : namespaces;
            for (String ns : scopes) {
                gateways.add(track(scoped(client.resources(Gateway.class), ns)
                        .withIndexers(java.util.Map.of(CERTIFICATE_INDEX, GatewayWatch::certificatesOf)).inform(),
                        handler(onChange, this::ours)));
                routes.add(track(scoped(client.resources(HTTPRoute.class), ns).inform(), handler(onChange, o -> true)));
                grants.add(track(scoped(client.resources(ReferenceGrant.class), ns).inform(), handler(onChange, o -> true)));
            }
            informKeyAuthFilters(client, scopes, onChange);
            if (publishService != null) {
                int slash = publishService.indexOf('/');
                publish = track(client.services().inNamespace(publishService.substring(0, slash))
                        .withName(publishService.substring(slash + 1)).inform(), handler(onChange, o -> true));
            } else {
                publish = null;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * KeyAuthFilters (gatehouse.dev) are read beside the Gateway API, for HTTPRoute ExtensionRef filters.
     * Helm does not upgrade the CRDs of an installed chart: without this CRD the rest of the Gateway
     * API is still served, and a rule naming a KeyAuthFilter answers 500 (BackendNotFound on the route).
     */
    private void informKeyAuthFilters(KubernetesClient client, List<String> scopes, Runnable onChange) {
        List<SharedIndexInformer<KeyAuthFilter>> started = new ArrayList<>();
        try {
            for (String ns : scopes) {
                started.add(scoped(client.resources(KeyAuthFilter.class), ns).inform());
            }
        } catch (RuntimeException e) {
            started.forEach(SharedIndexInformer::close);
            log.warn("event=keyauthfilter.unavailable problem=\"cannot watch keyauthfilters.gatehouse.dev: {}\" "
                    + "fix=\"apply the chart's CRDs (helm does not upgrade them): kubectl apply -f "
                    + "crds/keyauthfilters.gatehouse.dev-v1.yml\"", e.getMessage());
            return;
        }
        for (SharedIndexInformer<KeyAuthFilter> i : started) {
            keyAuthFilters.add(track(i, handler(onChange, o -> true)));
        }
    }

    private <T extends HasMetadata> SharedIndexInformer<T> track(SharedIndexInformer<T> informer, ResourceEventHandler<T> h) {
        all.add(informer);
        informer.addEventHandler(h);
        return informer;
    }

    private static <T extends HasMetadata, L extends KubernetesResourceList<T>>
    Informable<T> scoped(MixedOperation<T, L, ? extends Resource<T>> op, String ns) {
        return ns == null ? op.inAnyNamespace() : op.inNamespace(ns);
    }

    /** Marks dirty for an object that {@code relevant} accepts (before or after); never for a status-only write. */
    private static <T extends HasMetadata> ResourceEventHandler<T> handler(Runnable onChange, Predicate<T> relevant) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                if (relevant.test(obj)) {
                    onChange.run();
                }
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                if (!relevant.test(oldObj) && !relevant.test(newObj)) {
                    return;
                }
                Long before = oldObj.getMetadata().getGeneration();
                if (before != null && before.equals(newObj.getMetadata().getGeneration())
                        && Objects.equals(oldObj.getMetadata().getLabels(), newObj.getMetadata().getLabels())
                        && Objects.equals(oldObj.getMetadata().getUid(), newObj.getMetadata().getUid())) {
                    return; // a status write: nothing the translator reads changed
                }
                onChange.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                if (relevant.test(obj)) {
                    onChange.run();
                }
            }
        };
    }

    /**
     * The index of Gateways by the Secrets their listeners' {@code tls.certificateRefs} name,
     * {@code namespace/name} (a reference without namespace is to the Gateway's own); references to
     * other kinds are left out, as they never name a Secret.
     */
    static List<String> certificatesOf(Gateway g) {
        if (g.getSpec() == null || g.getSpec().getListeners() == null) {
            return List.of();
        }
        String own = dev.gatehouse.controller.translate.Sources.namespace(g);
        List<String> keys = new ArrayList<>();
        for (var l : g.getSpec().getListeners()) {
            if (l.getTls() == null || l.getTls().getCertificateRefs() == null) {
                continue;
            }
            for (var ref : l.getTls().getCertificateRefs()) {
                boolean secret = (ref.getGroup() == null || ref.getGroup().isEmpty())
                        && (ref.getKind() == null || ref.getKind().equals("Secret"));
                String key = (ref.getNamespace() == null || ref.getNamespace().isEmpty() ? own : ref.getNamespace()) + "/"
                        + ref.getName();
                if (secret && ref.getName() != null && !keys.contains(key)) {
                    keys.add(key);
                }
            }
        }
        return keys;
    }

    /**
     * Whether a Gateway (of any class: the index is kept per informer, and a Gateway that turns to
     * our class must find its Secret's latest content anyway) names this Secret, {@code namespace/name},
     * in a listener's {@code tls.certificateRefs}; for {@link ClusterWatch}'s TLS Secret informer.
     */
    public boolean referencesSecret(String key) {
        for (SharedIndexInformer<Gateway> i : gateways) {
            if (!i.getIndexer().byIndex(CERTIFICATE_INDEX, key).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Whether the Gateway's class is one of ours (as cached now). */
    private boolean ours(Gateway g) {
        String name = g.getSpec() == null ? null : g.getSpec().getGatewayClassName();
        return classes == null || classes.getStore().list().stream()
                .anyMatch(c -> c.getMetadata().getName().equals(name) && selection.ours(c));
    }

    public boolean synced() {
        return all.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /** Every cached Gateway API object, of any class (the translator selects). */
    public GatewayApiState state() {
        return new GatewayApiState(classes.getStore().list(), flat(gateways), flat(routes), flat(grants),
                namespaces.getStore().list(), flat(keyAuthFilters));
    }

    private static <T> List<T> flat(List<SharedIndexInformer<T>> informers) {
        List<T> out = new ArrayList<>();
        informers.forEach(i -> out.addAll(i.getStore().list()));
        return out;
    }

    /** The {@code --publish-service} Service as cached; null when none is named or it does not exist. */
    public Service publishService() {
        if (publish == null) {
            return null;
        }
        List<Service> list = publish.getStore().list();
        return list.isEmpty() ? null : list.get(0);
    }

    @Override
    public void close() {
        all.forEach(SharedIndexInformer::close);
    }
}
