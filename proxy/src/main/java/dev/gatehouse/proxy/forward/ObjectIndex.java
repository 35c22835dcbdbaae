package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.balance.TargetSelector;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link CompiledSnapshot} keeps besides its router so that an object delta's compile can
 * find what a change reaches without a walk over the config: each upstream's selector and each
 * service by id, the routes naming each service and the services naming each upstream (by the
 * name they give, whether or not it resolves, so a service or upstream that appears later finds
 * the routes waiting for it). Never changed once its snapshot is published; {@link Builder} makes
 * the next one copy on write, copying a map only when the delta changes it.
 */
final class ObjectIndex {
    final Map<String, TargetSelector> selectors;
    final Map<String, Service> services;
    final Map<String, Set<String>> routesByService;
    final Map<String, Set<String>> servicesByUpstream;

    private ObjectIndex(Map<String, TargetSelector> selectors, Map<String, Service> services,
                        Map<String, Set<String>> routesByService, Map<String, Set<String>> servicesByUpstream) {
        this.selectors = selectors;
        this.services = services;
        this.routesByService = routesByService;
        this.servicesByUpstream = servicesByUpstream;
    }

    /** The index of a snapshot compiled whole: its selectors and services, and every route and service indexed. */
    static ObjectIndex of(Map<String, TargetSelector> selectors, Map<String, Service> services, List<Route> routes) {
        Map<String, Set<String>> routesByService = new HashMap<>();
        for (Route r : routes) {
            if (r.service() != null) {
                routesByService.computeIfAbsent(r.service(), k -> new HashSet<>()).add(r.id());
            }
        }
        Map<String, Set<String>> servicesByUpstream = new HashMap<>();
        for (Service s : services.values()) {
            servicesByUpstream.computeIfAbsent(s.upstream(), k -> new HashSet<>()).add(s.id());
        }
        return new ObjectIndex(selectors, services, routesByService, servicesByUpstream);
    }

    /** The route ids naming service {@code id}; empty when none does. */
    Set<String> routesOf(String serviceId) {
        return routesByService.getOrDefault(serviceId, Set.of());
    }

    /** The service ids naming upstream {@code id}; empty when none does. */
    Set<String> servicesOf(String upstreamId) {
        return servicesByUpstream.getOrDefault(upstreamId, Set.of());
    }

    /** Whether some route resolves to upstream {@code id}: it is served and a service naming it is named by a route. */
    boolean reached(String upstreamId) {
        if (!selectors.containsKey(upstreamId)) {
            return false;
        }
        for (String service : servicesOf(upstreamId)) {
            if (!routesOf(service).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The next index, made from this one by a delta's changes alone. */
    Builder next() {
        return new Builder(this);
    }

    /** Copy on write: each map is copied the first time the delta changes it, each set of it likewise. */
    static final class Builder {
        private final ObjectIndex from;
        private Map<String, TargetSelector> selectors;
        private Map<String, Service> services;
        private final Multi routesByService;
        private final Multi servicesByUpstream;

        private Builder(ObjectIndex from) {
            this.from = from;
            this.routesByService = new Multi(from.routesByService);
            this.servicesByUpstream = new Multi(from.servicesByUpstream);
        }

        void selector(String upstreamId, TargetSelector selector) {
            selectors().put(upstreamId, selector);
        }

        void removeSelector(String upstreamId) {
            selectors().remove(upstreamId);
        }

        /** Puts or replaces {@code s}, re-indexed under its upstream; returns the service it replaced, or null. */
        Service service(Service s) {
            Service before = services().put(s.id(), s);
            if (before != null && !before.upstream().equals(s.upstream())) {
                servicesByUpstream.remove(before.upstream(), s.id());
            }
            if (before == null || !before.upstream().equals(s.upstream())) {
                servicesByUpstream.add(s.upstream(), s.id());
            }
            return before;
        }

        void removeService(String id) {
            Service before = services().remove(id);
            if (before != null) {
                servicesByUpstream.remove(before.upstream(), id);
            }
        }

        /** Route {@code id} now names {@code service} (null: none) where it named {@code before} (null: none, or new). */
        void route(String id, String before, String service) {
            if (before != null && before.equals(service)) {
                return;
            }
            if (before != null) {
                routesByService.remove(before, id);
            }
            if (service != null) {
                routesByService.add(service, id);
            }
        }

        Map<String, TargetSelector> selectorsNow() {
            return selectors != null ? selectors : from.selectors;
        }

        Map<String, Service> servicesNow() {
            return services != null ? services : from.services;
        }

        ObjectIndex build() {
            return new ObjectIndex(selectorsNow(), servicesNow(), routesByService.map(), servicesByUpstream.map());
        }

        private Map<String, TargetSelector> selectors() {
            if (selectors == null) {
                selectors = new HashMap<>(from.selectors);
            }
            return selectors;
        }

        private Map<String, Service> services() {
            if (services == null) {
                services = new HashMap<>(from.services);
            }
            return services;
        }
    }

    /** A map of sets, copied on its first write and each set on its own first write. */
    private static final class Multi {
        private final Map<String, Set<String>> from;
        private Map<String, Set<String>> map;
        private final Set<String> copiedKeys = new HashSet<>();

        Multi(Map<String, Set<String>> from) {
            this.from = from;
        }

        void add(String key, String id) {
            writable(key).add(id);
        }

        void remove(String key, String id) {
            Set<String> ids = writable(key);
            ids.remove(id);
            if (ids.isEmpty()) {
                map.remove(key);
                copiedKeys.remove(key);
            }
        }

        private Set<String> writable(String key) {
            if (map == null) {
                map = new HashMap<>(from);
            }
            if (copiedKeys.add(key)) {
                map.put(key, new HashSet<>(map.getOrDefault(key, Set.of())));
            }
            return map.get(key);
        }

        Map<String, Set<String>> map() {
            return map != null ? map : from;
        }
    }
}
