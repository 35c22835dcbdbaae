package dev.gatehouse.controller.translate;

import dev.gatehouse.config.SnapshotCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The {@link Translator} for a process that translates again after every change: it keeps each
 * Upstream's, GatewayService's, Consumer's and GatewayRoute's outcome (its snapshot object and its
 * report) and reuses it, the same Java object, while the object and what it reads are the same
 * ({@link TranslationMemo}); only the changed objects and those that read them are translated
 * again. What spans objects (host and path conflicts between routes, keys claimed by two
 * consumers, the order of routes, certificates, Ingresses and the Gateway API) is decided again
 * over the kept parts at every translation, exactly as a full translation decides it.
 *
 * <p>Every {@code verifyEvery}-th translation (and the next one after {@link #verifyNext()}) is
 * also done from scratch and compared: snapshot bytes ({@link SnapshotCodec#toJson}) and every
 * status. A difference (a bug, an object changed in place) is logged as
 * {@code event=translate.mismatch}, counted ({@link #mismatches()}), and the full result is used
 * and the kept outcomes dropped; so is an exception in the incremental path. One thread at a time (the controller's rebuild thread, or local
 * mode's reload).
 */
public final class IncrementalTranslator {
    private static final Logger log = LoggerFactory.getLogger(IncrementalTranslator.class);
    /** A translation in this many is compared with a full one, unless configured otherwise. */
    public static final int DEFAULT_VERIFY_EVERY = 100;

    private final TranslationMemo memo = new TranslationMemo();
    private final int verifyEvery;
    private long translations;
    private long mismatches;
    private long verified;
    private boolean verifyNext;
    /** The last translation, to patch for a change that reaches only Upstreams' targets; null after a failure. */
    private EndpointUpdate endpoints;
    private long endpointUpdates;
    /** Objects the last translation reported on: the next one sizes its map of reports by it. */
    private int lastReports;
    /** The report keys of the last translation in status order: the next one reuses it for the same objects. */
    private String[] lastStatusOrder;

    /** @param verifyEvery compare every this-many-th translation with a full one (1: every one, for tests) */
    public IncrementalTranslator(int verifyEvery) {
        if (verifyEvery < 1) {
            throw new IllegalArgumentException("verifyEvery: " + verifyEvery + " (expected: >= 1)");
        }
        this.verifyEvery = verifyEvery;
    }

    public IncrementalTranslator() {
        this(DEFAULT_VERIFY_EVERY);
    }

    /** As {@link Translator#translate(ClusterState, IngressSelection, GatewaySelection, TlsSettings)}, reusing what did not change. */
    public Translation translate(ClusterState state, IngressSelection ingress, GatewaySelection gateway, TlsSettings tls) {
        Objects.requireNonNull(state, "state");
        translations++;
        Translation incremental;
        TranslationContext ctx = new TranslationContext(lastReports);
        ctx.memo = memo;
        ctx.lastStatusOrder = lastStatusOrder;
        memo.begin();
        endpoints = null;
        try {
            incremental = Translator.run(state, ingress, gateway, tls, ctx, false);
            memo.end();
            lastReports = ctx.reportCount();
            lastStatusOrder = ctx.statusOrder;
        } catch (RuntimeException e) {
            // a bug in the incremental path: a half-done pass leaves nothing to trust; a translation
            // from scratch decides (and throws if the bug is the translator's own)
            memo.clear();
            lastStatusOrder = null;
            mismatches++;
            log.warn("event=translate.mismatch difference=\"incremental translation failed: {}\" mismatches={} state=\"{}\" "
                    + "action=full_translation_used", e.toString(), mismatches, state, e);
            return Translator.translate(state, ingress, gateway, tls);
        }
        if (!verifyNext && translations % verifyEvery != 0) {
            endpoints = new EndpointUpdate(incremental, state, ctx.servicesReadLater);
            return incremental;
        }
        verifyNext = false;
        verified++;
        Translation full = Translator.translate(state, ingress, gateway, tls);
        String difference = difference(incremental, full);
        if (difference == null) {
            endpoints = new EndpointUpdate(incremental, state, ctx.servicesReadLater);
            return incremental;
        }
        mismatches++;
        log.warn("event=translate.mismatch difference=\"{}\" mismatches={} state=\"{}\" action=full_translation_used",
                difference, mismatches, state);
        memo.clear();
        return full;
    }

    /** As {@link #translate(ClusterState, IngressSelection, GatewaySelection, TlsSettings)} with the default selections. */
    public Translation translate(ClusterState state, IngressSelection ingress, TlsSettings tls) {
        return translate(state, ingress, GatewaySelection.DEFAULT, tls);
    }

    /**
     * A change of the Services {@code services} ({@code namespace/name}: the Service itself or its
     * EndpointSlices) in {@code now}, the state the last {@link #translate} read with only such
     * changes since, translated by re-deriving just the Upstreams that read those Services
     * ({@link EndpointUpdate}): the last translation with their targets and statuses replaced,
     * which is what a whole translation of {@code now} gives when nothing else changed. Declined
     * ({@link EndpointChange#needsFullTranslation()}) when it would not be: no translation yet, the
     * Upstream list changed since, an Ingress or HTTPRoute backend reads one of the Services, or an
     * Upstream's acceptance would change. A later {@link #translate} reuses the outcomes kept here,
     * so it gives the same snapshot objects.
     */
    public EndpointChange endpoints(ClusterState now, java.util.Set<String> services) {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(services, "services");
        EndpointUpdate e = endpoints;
        if (e == null) {
            return EndpointChange.fallback("no-translation-yet");
        }
        try {
            EndpointChange change = e.apply(now, services, memo);
            if (change.translation() != null) {
                endpointUpdates++;
            }
            return change;
        } catch (RuntimeException ex) {
            // a bug here must not leave a half-patched translation: the whole one decides, from scratch
            endpoints = null;
            memo.clear();
            mismatches++;
            log.warn("event=translate.mismatch difference=\"endpoint update failed: {}\" mismatches={} action=full_translation",
                    ex.toString(), mismatches, ex);
            return EndpointChange.fallback("failed");
        }
    }

    /** Changes translated by {@link #endpoints} alone (a patched translation returned). */
    public long endpointUpdates() {
        return endpointUpdates;
    }

    /** Compares the next translation with a full one (e.g. on a periodic resync). */
    public void verifyNext() {
        verifyNext = true;
    }

    /** Translations that differed from the full one (each logged, and the full one used). */
    public long mismatches() {
        return mismatches;
    }

    /** Translations compared with a full one. */
    public long verified() {
        return verified;
    }

    /** The objects translated anew (not reused) so far, by kind: what tests count. */
    long built(String kind) {
        return switch (kind) {
            case "Upstream" -> memo.upstreams.built;
            case "GatewayService" -> memo.services.built;
            case "Consumer" -> memo.consumers.built;
            case "GatewayRoute" -> memo.routes.built;
            default -> throw new IllegalArgumentException("kind: " + kind + " (expected: Upstream, GatewayService, Consumer or GatewayRoute)");
        };
    }

    /** Translations whose GatewayService step was replayed whole ({@link ServiceStep.Outcome}): what tests count. */
    long serviceStepReplays() {
        return memo.serviceStepReplays;
    }

    /**
     * What differs between two translations of one state, by part and object (never content: a
     * snapshot holds certificates' keys); null when they are the same.
     */
    static String difference(Translation a, Translation b) {
        if (!Arrays.equals(SnapshotCodec.toJson(a.snapshot()), SnapshotCodec.toJson(b.snapshot()))) {
            return "snapshot: " + snapshotPart(a, b);
        }
        if (!a.statuses().equals(b.statuses())) {
            return "status: " + statusPart(a.statuses(), b.statuses());
        }
        if (!Objects.equals(a.defaultCertificate(), b.defaultCertificate())) {
            return "default certificate";
        }
        if (!a.gatewayApi().equals(b.gatewayApi())) {
            return "Gateway API status";
        }
        return null;
    }

    private static String snapshotPart(Translation a, Translation b) {
        var x = a.snapshot();
        var y = b.snapshot();
        return !x.routes().equals(y.routes()) ? "routes" : !x.services().equals(y.services()) ? "services"
                : !x.upstreams().equals(y.upstreams()) ? "upstreams" : !x.consumers().equals(y.consumers()) ? "consumers"
                : "certificates";
    }

    private static String statusPart(List<ObjectStatus> a, List<ObjectStatus> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) {
                return a.get(i).source().display() + " / " + b.get(i).source().display();
            }
        }
        return a.size() + " statuses against " + b.size();
    }
}
