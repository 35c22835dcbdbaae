package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.GatewayApiStatus;
import dev.gatehouse.controller.translate.GatewayApiStatus.ClassResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.GatewayResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.ListenerResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.ParentResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.RouteResult;
import dev.gatehouse.controller.translate.GatewayApiState;
import dev.gatehouse.controller.translate.Sources;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteGroupKind;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Writes what Gatehouse owes its Gateway API objects, on the leader only, through the status
 * subresource: GatewayClass {@code Accepted}; Gateway {@code Accepted}/{@code Programmed},
 * {@code addresses} (the same published addresses as Ingress status) and per listener
 * {@code supportedKinds}, {@code attachedRoutes} and conditions; HTTPRoute {@code parents[]}
 * entries for our Gateways, keeping every other controller's entries as they are. Objects of other
 * controllers are never written to. A write happens only when something a user sees changed
 * ({@code lastTransitionTime} is kept while a condition's status stays), re-read and retried on a
 * 409 conflict.
 *
 * <p>{@code Programmed} comes from the proxies: True once every proxy serving a snapshot applied
 * the version that holds the Gateway's generation, Pending before that; see {@link #programmed}.
 */
public final class GatewayStatusWriter {
    private static final Logger log = LoggerFactory.getLogger(GatewayStatusWriter.class);
    private static final int ATTEMPTS = 3;
    private final KubernetesClient client;
    private final Clock clock;
    private final String controllerName;
    private final Counter writes;

    public GatewayStatusWriter(KubernetesClient client, Clock clock, String controllerName, MeterRegistry registry) {
        this.client = Objects.requireNonNull(client, "client");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.controllerName = Objects.requireNonNull(controllerName, "controllerName");
        this.writes = Counter.builder("gatehouse.controller.gatewayapi.status.writes")
                .description("Status writes of GatewayClasses, Gateways and HTTPRoutes").register(registry);
    }

    /**
     * Counts of one pass, for logs and tests.
     *
     * @param stopped true when the pace refused a write: the pass ended early and the next one
     *                starts over from a newer state
     */
    public record Pass(int written, int unchanged, int failed, boolean stopped) {
    }

    /** What became of one object. */
    private enum Outcome { WRITTEN, UNCHANGED, STOPPED }

    /**
     * @param state     the Gateway API objects as cached (their current status is compared against)
     * @param decided   what the translator decided
     * @param addresses what Gateways show in {@code status.addresses}; empty when none is published
     * @param version   the snapshot version published for this translation
     * @param pace      asked right before each write; the pass stops when it refuses
     */
    public Pass write(GatewayApiState state, GatewayApiStatus decided, List<String> addresses, long version, ProxyFleet fleet,
                      StatusPace pace) {
        java.util.Objects.requireNonNull(pace, "pace");
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        int[] counts = new int[4]; // written, unchanged, failed, stopped
        Map<String, GatewayClass> classes = index(state.classes());
        for (ClassResult c : decided.classes()) {
            count(counts, c.source().display(), () -> write(classes.get(c.source().key()), GatewayClass.class, current -> {
                GatewayClassStatus old = current.getStatus();
                GatewayClassStatus next = new GatewayClassStatus();
                next.setConditions(merge(old == null ? null : old.getConditions(), c.conditions(), current, now));
                next.setSupportedFeatures(old == null ? null : old.getSupportedFeatures());
                return Objects.equals(old, next) ? null : next;
            }, GatewayClass::setStatus, pace));
        }
        List<GatewayStatusAddress> published = addresses.stream().map(GatewayStatusWriter::address).toList();
        Map<String, Gateway> gateways = index(state.gateways());
        for (GatewayResult g : decided.gateways()) {
            count(counts, g.source().display(), () -> write(gateways.get(g.source().key()), Gateway.class, current -> {
                GatewayStatus old = current.getStatus();
                GatewayStatus next = new GatewayStatus();
                next.setAddresses(published.isEmpty() ? null : published);
                next.setConditions(merge(old == null ? null : old.getConditions(), programmed(g.conditions(), version, fleet,
                        old == null ? null : old.getConditions(), current.getMetadata().getGeneration()), current, now));
                List<ListenerStatus> listeners = new ArrayList<>();
                for (ListenerResult l : g.listeners()) {
                    ListenerStatus before = old == null || old.getListeners() == null ? null : old.getListeners().stream()
                            .filter(s -> l.name().equals(s.getName())).findFirst().orElse(null);
                    ListenerStatus ls = new ListenerStatus();
                    ls.setName(l.name());
                    ls.setAttachedRoutes(l.attachedRoutes());
                    ls.setSupportedKinds(l.supportedKinds().stream()
                            .map(k -> new RouteGroupKind("gateway.networking.k8s.io", k)).toList());
                    ls.setConditions(merge(before == null ? null : before.getConditions(),
                            programmed(l.conditions(), version, fleet, before == null ? null : before.getConditions(),
                                    current.getMetadata().getGeneration()), current, now));
                    listeners.add(ls);
                }
                next.setListeners(listeners);
                next.setAttachedListenerSets(old == null ? null : old.getAttachedListenerSets());
                return Objects.equals(old, next) ? null : next;
            }, Gateway::setStatus, pace));
        }
        Map<String, HTTPRoute> routes = index(state.httpRoutes());
        for (RouteResult r : decided.routes()) {
            count(counts, r.source().display(), () -> write(routes.get(r.source().key()), HTTPRoute.class, current -> {
                HTTPRouteStatus old = current.getStatus();
                List<RouteParentStatus> before = old == null || old.getParents() == null ? List.of() : old.getParents();
                List<RouteParentStatus> parents = new ArrayList<>();
                before.stream().filter(p -> !controllerName.equals(p.getControllerName())).forEach(parents::add);
                for (ParentResult p : r.parents()) {
                    ParentReference ref = new ParentReference(p.group(), p.kind(), p.name(), p.namespace(), p.port(), p.sectionName());
                    RouteParentStatus mine = before.stream().filter(s -> controllerName.equals(s.getControllerName())
                            && Objects.equals(s.getParentRef(), ref)).findFirst().orElse(null);
                    parents.add(new RouteParentStatus(merge(mine == null ? null : mine.getConditions(), p.conditions(),
                            current, now), controllerName, ref));
                }
                HTTPRouteStatus next = new HTTPRouteStatus(parents);
                return Objects.equals(old, next) ? null : next;
            }, HTTPRoute::setStatus, pace));
        }
        return new Pass(counts[0], counts[1], counts[2], counts[3] > 0);
    }

    private void count(int[] counts, String object, java.util.function.Supplier<Outcome> write) {
        if (counts[3] > 0) {
            return; // stopped: the next pass decides the rest
        }
        try {
            switch (write.get()) {
                case WRITTEN -> counts[0]++;
                case UNCHANGED -> counts[1]++;
                case STOPPED -> counts[3]++;
            }
        } catch (KubernetesClientException e) {
            counts[2]++;
            log.warn("event=gatewayapi.status_write_failed object={} code={} error=\"{}\"", object, e.getCode(),
                    e.getMessage() == null ? "" : e.getMessage().replace('"', '\''));
        }
    }

    /**
     * @param status the new status for the object as it is now, or null when it already says so
     * @param pace   asked before each write (a retry after a conflict is a write too)
     */
    private <T extends HasMetadata, S> Outcome write(T cached, Class<T> type, Function<T, S> status,
                                                     java.util.function.BiConsumer<T, S> set, StatusPace pace) {
        if (cached == null) {
            return Outcome.UNCHANGED;
        }
        T current = cached;
        for (int attempt = 1; ; attempt++) {
            S next = status.apply(current);
            if (next == null) {
                return Outcome.UNCHANGED;
            }
            if (!pace.permit()) {
                return Outcome.STOPPED;
            }
            T copy = StatusBody.of(current);
            set.accept(copy, next);
            try {
                client.resource(copy).updateStatus();
                writes.increment();
                log.info("event=gatewayapi.status_written object={}/{}", copy.getKind(), Sources.key(copy));
                return Outcome.WRITTEN;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return Outcome.UNCHANGED; // deleted meanwhile
                }
                if (e.getCode() != 409 || attempt >= ATTEMPTS) {
                    throw e;
                }
                var op = client.resources(type);
                T fresh = current.getMetadata().getNamespace() == null
                        ? op.withName(current.getMetadata().getName()).get()
                        : op.inNamespace(current.getMetadata().getNamespace()).withName(current.getMetadata().getName()).get();
                if (fresh == null) {
                    return Outcome.UNCHANGED;
                }
                current = fresh;
            }
        }
    }

    /**
     * Programmed from the proxies, by the rule our own kinds follow ({@link StatusWriter#programmed}):
     * a translator-True Programmed is True once every proxy that has applied a snapshot applied
     * {@code version}; a generation already shown programmed stays so — the proxies keep serving
     * it — so an edit elsewhere, or proxies coming, going or reconnecting, rewrites no Gateway.
     * The message names no proxy count for the same reason (the counts are in the metrics).
     *
     * @param shown      the conditions the object (or listener) shows now, or null
     * @param generation the Gateway's {@code metadata.generation}
     */
    static List<GatewayApiStatus.Condition> programmed(List<GatewayApiStatus.Condition> conditions, long version, ProxyFleet fleet,
                                                       List<Condition> shown, Long generation) {
        List<GatewayApiStatus.Condition> out = new ArrayList<>();
        for (GatewayApiStatus.Condition c : conditions) {
            if (!c.type().equals("Programmed") || !c.status()) {
                out.add(c);
                continue;
            }
            Condition now = shown == null ? null : shown.stream().filter(x -> "Programmed".equals(x.getType())).findFirst().orElse(null);
            boolean stays = now != null && "True".equals(now.getStatus()) && "Programmed".equals(now.getReason())
                    && Objects.equals(now.getObservedGeneration(), generation == null ? 0L : generation);
            String behind = stays ? null : fleet.behind(version);
            if (stays) {
                out.add(new GatewayApiStatus.Condition("Programmed", true, "Programmed", now.getMessage()));
            } else if (fleet.synced() == 0) {
                out.add(new GatewayApiStatus.Condition("Programmed", false, "Pending", fleet.connected() == 0
                        ? "no proxy is connected" : "no connected proxy has applied a snapshot yet"));
            } else if (behind != null) {
                out.add(new GatewayApiStatus.Condition("Programmed", false, "Pending", behind));
            } else {
                out.add(new GatewayApiStatus.Condition("Programmed", true, "Programmed", "applied by every connected proxy"));
            }
        }
        return out;
    }

    /** metav1.Condition with observedGeneration; lastTransitionTime kept while the status stays. */
    static List<Condition> merge(List<Condition> existing, List<GatewayApiStatus.Condition> desired, HasMetadata o, String now) {
        Long generation = o.getMetadata().getGeneration();
        List<Condition> out = new ArrayList<>();
        for (GatewayApiStatus.Condition d : desired) {
            Condition old = existing == null ? null
                    : existing.stream().filter(c -> d.type().equals(c.getType())).findFirst().orElse(null);
            String status = d.status() ? "True" : "False";
            String since = old != null && status.equals(old.getStatus()) && old.getLastTransitionTime() != null
                    ? old.getLastTransitionTime() : now;
            String message = d.message().length() <= 32_000 ? d.message() : d.message().substring(0, 32_000) + " …";
            out.add(new Condition(since, message, generation == null ? 0L : generation, d.reason(), status, d.type()));
        }
        return out;
    }

    private static GatewayStatusAddress address(String a) {
        boolean ip = a.matches("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$") || a.indexOf(':') >= 0;
        return new GatewayStatusAddress(ip ? "IPAddress" : "Hostname", a);
    }

    private static <T extends HasMetadata> Map<String, T> index(List<T> objects) {
        Map<String, T> out = new HashMap<>();
        objects.forEach(o -> out.put(Sources.key(o), o));
        return out;
    }
}
