package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.ConsumerStatus;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayStatus;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.api.v1alpha1.UpstreamStatus;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.Reason;
import dev.gatehouse.controller.translate.StatusCondition;
import dev.gatehouse.controller.translate.Warning;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes {@code status} of one Gatehouse object through the status subresource (PUT with the
 * cached resourceVersion, re-read and retried on a 409 conflict), and only when something a
 * user sees changed. A newly refused object also gets a Warning Event. Which objects are written,
 * when and how fast is {@link StatusUpdater}'s business; only the leader writes.
 */
final class StatusWriter {
    private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);
    private static final int ATTEMPTS = 3;
    private final KubernetesClient client;
    private final Clock clock;

    StatusWriter(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /**
     * The status {@code current} should carry: the decided conditions merged over its own (a
     * condition keeps its {@code lastTransitionTime} while its status stays) and the counts; null
     * when it already carries exactly that (no write).
     */
    @SuppressWarnings("rawtypes")
    static GatewayStatus wanted(CustomResource current, List<StatusCondition> desired, ObjectStatus decided, String now) {
        GatewayStatus old = (GatewayStatus) current.getStatus();
        List<Condition> merged = Conditions.merge(old == null ? null : old.conditions, desired,
                current.getMetadata().getGeneration(), now);
        GatewayStatus status = statusOf(current, decided);
        status.conditions = merged;
        if (old != null && sameCounts(old, status) && Conditions.same(old.conditions, merged)) {
            return null;
        }
        return status;
    }

    /**
     * Writes the decided status over {@code cached}'s unless it carries it already.
     *
     * @return the object as written (its new resourceVersion), or null when nothing was written
     *         (unchanged, or deleted meanwhile)
     * @throws KubernetesClientException when the API server refuses the write (not a conflict
     *         that a re-read resolves within {@value #ATTEMPTS} attempts)
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    CustomResource write(CustomResource cached, List<StatusCondition> desired, ObjectStatus decided) {
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        CustomResource current = cached;
        for (int attempt = 1; ; attempt++) {
            GatewayStatus status = wanted(current, desired, decided, now);
            if (status == null) {
                return null;
            }
            GatewayStatus old = (GatewayStatus) current.getStatus();
            CustomResource copy = StatusBody.of(current);
            copy.setStatus(status);
            try {
                CustomResource written = (CustomResource) client.resource(copy).updateStatus();
                warnIfNewlyRefused(current, old, status.conditions);
                warnAboutCertificate(current, old, status.conditions, decided.warnings());
                return written;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return null; // deleted meanwhile
                }
                if (e.getCode() != 409 || attempt >= ATTEMPTS) {
                    throw e;
                }
                CustomResource fresh = (CustomResource) client.resources(current.getClass())
                        .inNamespace(current.getMetadata().getNamespace()).withName(current.getMetadata().getName()).get();
                if (fresh == null) {
                    return null;
                }
                current = fresh;
            }
        }
    }

    /**
     * Programmed, from what the proxies report. {@code since} is the first snapshot version that
     * held the object's current generation. Only proxies that have applied a snapshot of this
     * controller count: one that just connected is still syncing (and not ready, so it serves
     * nothing yet); counting it would flip every object to Pending and back on each connect. The
     * message names no proxy count, so proxies coming and going rewrite no status (the counts are
     * in the controller's metrics). With no proxy counting, a generation already reported
     * programmed stays so — the proxies keep serving it while they reconnect, after a controller
     * restart too — and anything else is Pending.
     *
     * @param existing the object's Programmed condition now, or null
     * @param generation the object's {@code metadata.generation}
     */
    static StatusCondition programmed(ObjectStatus s, long since, ProxyFleet fleet, Map<String, String> rejections,
                                      Condition existing, Long generation) {
        String type = StatusCondition.PROGRAMMED;
        if (!s.accepted()) {
            return new StatusCondition(type, false, Reason.Invalid, "not programmed: the object is not accepted");
        }
        String rejected = rejections.get(s.source().uid());
        if (rejected != null) {
            return new StatusCondition(type, false, Reason.Rejected, "a proxy refused it: " + rejected);
        }
        if (fleet.synced() == 0) {
            if (existing != null && "True".equals(existing.getStatus()) && Reason.Programmed.name().equals(existing.getReason())
                    && Objects.equals(existing.getObservedGeneration(), generation == null ? 0L : generation)) {
                return new StatusCondition(type, true, Reason.Programmed, existing.getMessage());
            }
            return new StatusCondition(type, false, Reason.Pending, fleet.connected() == 0
                    ? "no proxy is connected" : "no connected proxy has applied a snapshot yet");
        }
        String behind = fleet.behind(since);
        if (behind != null) {
            return new StatusCondition(type, false, Reason.Pending, behind);
        }
        return new StatusCondition(type, true, Reason.Programmed, "applied by every connected proxy");
    }

    /** The condition of {@code type} the object shows now, or null. */
    @SuppressWarnings("rawtypes")
    static Condition shown(CustomResource o, String type) {
        return o.getStatus() instanceof GatewayStatus status ? find(status.conditions, type) : null;
    }

    /** The status class of the object's kind, with the counts kubectl get shows (Upstream targets, Consumer keys). */
    static GatewayStatus statusOf(HasMetadata o, ObjectStatus decided) {
        if (o instanceof Upstream) {
            UpstreamStatus us = new UpstreamStatus();
            us.targets = decided.targets();
            us.readyTargets = decided.readyTargets();
            return us;
        }
        if (o instanceof Consumer) {
            ConsumerStatus cs = new ConsumerStatus();
            cs.keys = decided.keys();
            return cs;
        }
        return new GatewayStatus();
    }

    /** Whether the counts beside the conditions are what they should be (a status of another class never is). */
    static boolean sameCounts(GatewayStatus old, GatewayStatus desired) {
        if (old.getClass() != desired.getClass()) {
            return false;
        }
        if (old instanceof UpstreamStatus o && desired instanceof UpstreamStatus d) {
            return Objects.equals(o.targets, d.targets) && Objects.equals(o.readyTargets, d.readyTargets);
        }
        if (old instanceof ConsumerStatus o && desired instanceof ConsumerStatus d) {
            return Objects.equals(o.keys, d.keys);
        }
        return true;
    }

    /**
     * A route's certificate is an operational matter a user should hear about without reading
     * status: a Warning Event when its Secret turns unusable (ResolvedRefs=False, InvalidCertificateRef,
     * or a new reason for it) and when it comes within 14 days of expiry (again each time the message
     * changes, so once a day while it lasts). Never for anything else on ResolvedRefs.
     */
    private void warnAboutCertificate(HasMetadata o, GatewayStatus old, List<Condition> merged, List<Warning> warnings) {
        Condition refs = find(merged, StatusCondition.RESOLVED_REFS);
        Condition before = old == null ? null : find(old.conditions, StatusCondition.RESOLVED_REFS);
        if (refs == null || (before != null && Objects.equals(before.getMessage(), refs.getMessage()))) {
            return;
        }
        if ("False".equals(refs.getStatus()) && Reason.InvalidCertificateRef.name().equals(refs.getReason())) {
            event(o, refs.getReason(), refs.getMessage());
            return;
        }
        for (Warning w : warnings) {
            if (w.reason() == Reason.CertificateExpiring) {
                event(o, w.reason().name(), w.toString());
            }
        }
    }

    private static Condition find(List<Condition> conditions, String type) {
        return conditions == null ? null : conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private void warnIfNewlyRefused(HasMetadata o, GatewayStatus old, List<Condition> merged) {
        Condition accepted = merged.stream().filter(c -> StatusCondition.ACCEPTED.equals(c.getType())).findFirst().orElse(null);
        if (accepted == null || !"False".equals(accepted.getStatus())) {
            return;
        }
        Condition before = old == null || old.conditions == null ? null : old.conditions.stream()
                .filter(c -> StatusCondition.ACCEPTED.equals(c.getType())).findFirst().orElse(null);
        if (before != null && "False".equals(before.getStatus()) && Objects.equals(before.getMessage(), accepted.getMessage())) {
            return;
        }
        event(o, accepted.getReason(), accepted.getMessage());
    }

    private void event(HasMetadata o, String reason, String message) {
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(o.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withNamespace(o.getMetadata().getNamespace())
                    .withName(o.getMetadata().getName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()))
                    .endMetadata()
                    .withNewInvolvedObject().withApiVersion(o.getApiVersion()).withKind(o.getKind())
                    .withName(o.getMetadata().getName()).withNamespace(o.getMetadata().getNamespace())
                    .withUid(o.getMetadata().getUid()).endInvolvedObject()
                    .withType("Warning").withReason(reason).withMessage(message)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent("gatehouse-controller").endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            log.warn("event=status.event_failed object={}/{} code={}", o.getKind(), o.getMetadata().getName(), e.getCode());
        }
    }
}
