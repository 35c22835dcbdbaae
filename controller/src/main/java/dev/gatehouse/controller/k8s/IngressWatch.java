package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.IngressSelection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The informers of the Ingress input, beside {@link ClusterWatch}: Ingresses (networking.k8s.io/v1)
 * in every watched namespace, IngressClasses (cluster-scoped), and the one proxy Service named by
 * {@code --publish-service}. Only changes that can matter mark the state dirty: an Ingress event
 * when the Ingress is Gatehouse's before or after it (an Ingress of another class causes no
 * rebuild), and not for a status-only write; every IngressClass event (the default may move);
 * every event of the publish Service (its address goes into status).
 */
public final class IngressWatch implements AutoCloseable {
    private final IngressSelection selection;
    private final List<SharedIndexInformer<Ingress>> ingresses = new ArrayList<>();
    private final SharedIndexInformer<IngressClass> classes;
    private final SharedIndexInformer<Service> publish;
    private final List<SharedIndexInformer<?>> all = new ArrayList<>();
    private static final String TLS_SECRET_INDEX = "gatehouse.dev/tls-secrets";

    /**
     * @param namespaces empty: every namespace
     * @param onChange   called when something that matters changed; must be cheap
     */
    public IngressWatch(KubernetesClient client, List<String> namespaces, IngressConfig config, Runnable onChange) {
        this.selection = config.selection();
        try {
            classes = client.network().v1().ingressClasses().inform();
            all.add(classes);
            classes.addEventHandler(always(onChange));
            List<String> scopes = namespaces.isEmpty() ? java.util.Collections.singletonList(null) : namespaces;
            for (String ns : scopes) {
                SharedIndexInformer<Ingress> i = (ns == null ? client.network().v1().ingresses().inAnyNamespace()
                        : client.network().v1().ingresses().inNamespace(ns))
                        .withIndexers(Map.of(TLS_SECRET_INDEX, IngressWatch::tlsSecretsOf)).inform();
                all.add(i);
                i.addEventHandler(ingressHandler(onChange));
                ingresses.add(i);
            }
            if (config.publishService() != null) {
                publish = client.services().inNamespace(config.publishNamespace()).withName(config.publishName()).inform();
                all.add(publish);
                publish.addEventHandler(always(onChange));
            } else {
                publish = null;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private ResourceEventHandler<Ingress> ingressHandler(Runnable onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(Ingress obj) {
                if (ours(obj)) {
                    onChange.run();
                }
            }

            @Override
            public void onUpdate(Ingress oldObj, Ingress newObj) {
                if (!ours(oldObj) && !ours(newObj)) {
                    return; // another class's Ingress, before and after: nothing of ours changes
                }
                // our own status write changes neither spec nor annotations: no rebuild for it
                if (Objects.equals(oldObj.getSpec(), newObj.getSpec())
                        && Objects.equals(oldObj.getMetadata().getAnnotations(), newObj.getMetadata().getAnnotations())
                        && Objects.equals(oldObj.getMetadata().getUid(), newObj.getMetadata().getUid())) {
                    return;
                }
                onChange.run();
            }

            @Override
            public void onDelete(Ingress obj, boolean deletedFinalStateUnknown) {
                if (ours(obj)) {
                    onChange.run();
                }
            }
        };
    }

    private static <T extends HasMetadata> ResourceEventHandler<T> always(Runnable onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                onChange.run();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onChange.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onChange.run();
            }
        };
    }

    private boolean ours(Ingress i) {
        return selection.takes(i, classes());
    }

    /** The index of Ingresses by the Secrets their {@code spec.tls} names, {@code namespace/name}. */
    static List<String> tlsSecretsOf(Ingress i) {
        if (i.getSpec() == null || i.getSpec().getTls() == null) {
            return List.of();
        }
        String ns = dev.gatehouse.controller.translate.Sources.namespace(i);
        return i.getSpec().getTls().stream().map(t -> t.getSecretName()).filter(n -> n != null && !n.isEmpty())
                .map(n -> ns + "/" + n).distinct().toList();
    }

    /** Whether an Ingress (of any class) names this Secret, {@code namespace/name}, in its {@code spec.tls}. */
    public boolean referencesSecret(String key) {
        for (SharedIndexInformer<Ingress> i : ingresses) {
            if (!i.getIndexer().byIndex(TLS_SECRET_INDEX, key).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    public boolean synced() {
        return all.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /** Every cached Ingress, of any class (the translator selects). */
    public List<Ingress> ingresses() {
        List<Ingress> out = new ArrayList<>();
        ingresses.forEach(i -> out.addAll(i.getStore().list()));
        return out;
    }

    public List<IngressClass> classes() {
        return classes == null ? List.of() : classes.getStore().list();
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
