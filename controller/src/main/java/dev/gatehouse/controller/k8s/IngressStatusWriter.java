package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.IngressSelection;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.Sources;
import dev.gatehouse.controller.translate.Translation;
import dev.gatehouse.controller.translate.Warning;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerStatus;
import io.fabric8.kubernetes.api.model.networking.v1.IngressStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes what Gatehouse owes its Ingresses, on the leader only, and only to Ingresses of its class
 * (every other Ingress is never written to):
 * <ul>
 *   <li>{@code status.loadBalancer.ingress} = the published addresses ({@link PublishedAddresses}),
 *       through the status subresource, only when it differs (no no-op writes), re-read and retried
 *       on a 409 conflict; nothing when neither {@code --publish-service} nor {@code --publish-address} is set;</li>
 *   <li>one Warning Event per translator warning (a path whose Service is missing, a bad annotation),
 *       when it is new for that Ingress in this process — at most {@value #MAX_EVENTS} per Ingress and pass.</li>
 * </ul>
 */
public final class IngressStatusWriter {
    private static final Logger log = LoggerFactory.getLogger(IngressStatusWriter.class);
    static final int MAX_EVENTS = 10;
    private static final int ATTEMPTS = 3;
    private final KubernetesClient client;
    private final Clock clock;
    private final Counter writes;
    private final Counter events;
    /** Ingress uid → the warnings already recorded as Events. */
    private final Map<String, Set<String>> warned = new HashMap<>();
    /**
     * Ingress uid → our last write, until the informer cache shows it: a pass that runs before the
     * cache caught up must not write the same status again.
     */
    private final Map<String, Written> written = new HashMap<>();

    private record Written(String resourceVersionBefore, List<IngressLoadBalancerIngress> addresses) {
    }

    public IngressStatusWriter(KubernetesClient client, Clock clock, MeterRegistry registry) {
        this.client = client;
        this.clock = clock;
        this.writes = Counter.builder("gatehouse.controller.ingress.status.writes")
                .description("Writes of an Ingress's status.loadBalancer").register(registry);
        this.events = Counter.builder("gatehouse.controller.ingress.warnings")
                .description("Warning Events recorded on Ingresses (bad annotation, missing backend, ...)").register(registry);
    }

    /**
     * Counts of one pass, for logs and tests.
     *
     * @param stopped true when the pace refused a write: the pass ended early and the next one
     *                starts over from a newer state
     */
    public record Pass(int written, int unchanged, int failed, int events, boolean stopped) {
    }

    /** What became of one Ingress's status. */
    private enum Outcome { WRITTEN, UNCHANGED, STOPPED }

    /**
     * @param state       the cluster as cached (every Ingress, of any class)
     * @param translation what the translator decided, with the warnings of each Ingress
     * @param selection   which Ingresses are Gatehouse's
     * @param addresses   what {@code status.loadBalancer.ingress} should say; null: write no status
     * @param pace        asked right before each write (a status or an Event); the pass stops when it refuses
     */
    public Pass write(ClusterState state, Translation translation, IngressSelection selection,
                      List<IngressLoadBalancerIngress> addresses, StatusPace pace) {
        Objects.requireNonNull(pace, "pace");
        Map<String, ObjectStatus> statuses = new HashMap<>();
        for (ObjectStatus s : translation.statuses()) {
            if ("Ingress".equals(s.source().kind())) {
                statuses.put(s.source().key(), s);
            }
        }
        int wrote = 0;
        int unchanged = 0;
        int failed = 0;
        int recorded = 0;
        boolean stopped = false;
        Set<String> present = new HashSet<>();
        for (Ingress ingress : state.ingresses()) {
            if (!selection.takes(ingress, state.ingressClasses())) {
                continue; // another controller's: never written to
            }
            present.add(ingress.getMetadata().getUid());
            if (stopped) {
                continue; // kept in what is remembered; the next pass decides it
            }
            ObjectStatus s = statuses.get(Sources.key(ingress));
            if (s != null) {
                int r = recordWarnings(ingress, s.warnings(), pace);
                if (r < 0) {
                    stopped = true;
                    continue;
                }
                recorded += r;
            }
            if (addresses == null) {
                continue;
            }
            try {
                switch (writeStatus(ingress, addresses, pace)) {
                    case WRITTEN -> wrote++;
                    case UNCHANGED -> unchanged++;
                    case STOPPED -> stopped = true;
                }
            } catch (KubernetesClientException e) {
                failed++;
                log.warn("event=ingress.status_write_failed ingress={} code={} error=\"{}\"", Sources.key(ingress), e.getCode(),
                        e.getMessage() == null ? "" : e.getMessage().replace('"', '\''));
            }
        }
        warned.keySet().retainAll(present);
        written.keySet().retainAll(present);
        return new Pass(wrote, unchanged, failed, recorded, stopped);
    }

    /** @return WRITTEN, UNCHANGED when it already said so (or the Ingress is gone), STOPPED when the pace refused */
    private Outcome writeStatus(Ingress cached, List<IngressLoadBalancerIngress> addresses, StatusPace pace) {
        String uid = cached.getMetadata().getUid();
        Written mine = written.get(uid);
        if (mine != null) {
            if (Objects.equals(mine.resourceVersionBefore(), cached.getMetadata().getResourceVersion())
                    && mine.addresses().equals(addresses)) {
                return Outcome.UNCHANGED; // written already; the cache has not seen it yet
            }
            written.remove(uid);
        }
        Ingress current = cached;
        for (int attempt = 1; ; attempt++) {
            if (Objects.equals(current(current), addresses)) {
                return Outcome.UNCHANGED;
            }
            if (!pace.permit()) {
                return Outcome.STOPPED;
            }
            Ingress copy = StatusBody.of(current);
            copy.setStatus(new IngressStatus(new IngressLoadBalancerStatus(addresses)));
            try {
                client.network().v1().ingresses().inNamespace(current.getMetadata().getNamespace()).resource(copy).updateStatus();
                if (uid != null) {
                    written.put(uid, new Written(cached.getMetadata().getResourceVersion(), addresses));
                }
                writes.increment();
                log.info("event=ingress.status_written ingress={} addresses={}", Sources.key(current), text(addresses));
                return Outcome.WRITTEN;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return Outcome.UNCHANGED; // deleted meanwhile
                }
                if (e.getCode() != 409 || attempt >= ATTEMPTS) {
                    throw e;
                }
                Ingress fresh = client.network().v1().ingresses().inNamespace(current.getMetadata().getNamespace())
                        .withName(current.getMetadata().getName()).get();
                if (fresh == null) {
                    return Outcome.UNCHANGED;
                }
                current = fresh;
            }
        }
    }

    private static List<IngressLoadBalancerIngress> current(Ingress i) {
        if (i.getStatus() == null || i.getStatus().getLoadBalancer() == null || i.getStatus().getLoadBalancer().getIngress() == null) {
            return List.of();
        }
        return i.getStatus().getLoadBalancer().getIngress();
    }

    private static String text(List<IngressLoadBalancerIngress> addresses) {
        return String.join(",", addresses.stream().map(a -> a.getIp() != null ? a.getIp() : a.getHostname()).toList());
    }

    /** @return the Events recorded, or -1 when the pace refused one (what is not recorded is tried next pass) */
    private int recordWarnings(Ingress ingress, List<Warning> warnings, StatusPace pace) {
        String uid = Objects.requireNonNullElse(ingress.getMetadata().getUid(), Sources.key(ingress));
        Set<String> before = warned.getOrDefault(uid, Set.of());
        Set<String> now = new HashSet<>();
        int recorded = 0;
        boolean capped = false;
        for (Warning w : warnings) {
            String key = w.reason() + "|" + w;
            if (before.contains(key)) {
                now.add(key);
                continue;
            }
            if (capped) {
                continue; // not recorded yet: the next pass does
            }
            if (recorded == MAX_EVENTS) {
                log.warn("event=ingress.warnings_capped ingress={} warnings={} max={}", Sources.key(ingress), warnings.size(), MAX_EVENTS);
                capped = true;
                continue;
            }
            if (!pace.permit()) {
                warned.put(uid, now);
                return -1;
            }
            if (event(ingress, w)) {
                now.add(key);
                recorded++;
            }
            // else: not in now, so tried again next pass
        }
        warned.put(uid, now);
        return recorded;
    }

    private boolean event(Ingress o, Warning w) {
        String ns = o.getMetadata().getNamespace();
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        log.info("event=ingress.warning ingress={} reason={} field={}", Sources.key(o), w.reason(), w.field());
        try {
            client.v1().events().inNamespace(ns).resource(new EventBuilder()
                    .withNewMetadata().withNamespace(ns)
                    .withName(o.getMetadata().getName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()))
                    .endMetadata()
                    .withNewInvolvedObject().withApiVersion("networking.k8s.io/v1").withKind("Ingress")
                    .withName(o.getMetadata().getName()).withNamespace(ns)
                    .withUid(o.getMetadata().getUid()).endInvolvedObject()
                    .withType("Warning").withReason(w.reason().name()).withMessage(w.toString())
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent("gatehouse-controller").endSource()
                    .build()).create();
            events.increment();
            return true;
        } catch (KubernetesClientException e) {
            log.warn("event=ingress.event_failed ingress={} code={}", Sources.key(o), e.getCode());
            return false;
        }
    }
}
