package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What the steps of one translation share; each step reads what earlier steps accepted. */
final class TranslationContext {
    /** Accepted upstreams by {@code namespace/name} (a url service's own under {@code namespace/name#url}). */
    final Map<String, Upstream> upstreams = new TreeMap<>();
    /** Accepted services with every reference resolved, by {@code namespace/name}. */
    final Map<String, Service> services = new TreeMap<>();
    /** Services that exist but cannot take traffic (refused, or a reference unresolved), by key, with why. */
    final Map<String, String> unusableServices = new HashMap<>();
    /** The plugin settings of accepted services, for routes to inherit. */
    final Map<String, dev.gatehouse.api.v1alpha1.Plugins> servicePlugins = new HashMap<>();
    /** Accepted consumers by {@code namespace/name}. */
    final Map<String, Consumer> consumers = new TreeMap<>();
    /** Consumers refused because of a conflict: their keys must not leave a gap another consumer fills. */
    final Set<String> refusedConsumers = new HashSet<>();
    final List<dev.gatehouse.config.Route> routes = new ArrayList<>();
    /** What Ingresses ask of TLS, recorded for TLS termination. */
    final List<IngressTls> ingressTls = new ArrayList<>();

    private final Map<String, ObjectReport> reports = new TreeMap<>();

    ObjectReport report(HasMetadata o) {
        return reports.computeIfAbsent(o.getKind() + "/" + Sources.key(o), k -> new ObjectReport(Sources.of(o)));
    }

    List<ObjectStatus> statuses() {
        return reports.values().stream().map(ObjectReport::toStatus).toList();
    }

    <T extends HasMetadata> List<T> sorted(List<T> objects) {
        List<T> copy = new ArrayList<>(objects);
        copy.sort(Sources.NAME_ORDER);
        return copy;
    }
}
