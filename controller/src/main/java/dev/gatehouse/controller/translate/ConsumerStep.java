package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.ConsumerSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.controller.keys.ApiKeys;
import io.fabric8.kubernetes.api.model.Secret;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Consumer objects and their credential Secrets → snapshot consumers with key digests.
 * A key claimed by two consumers of one namespace refuses both: neither may authenticate as
 * the other, and the message names both (never the key).
 */
final class ConsumerStep {
    private static final String CREDENTIAL_LABEL = ApiKeys.CREDENTIAL_LABEL;
    private static final String CREDENTIAL_KEY_AUTH = ApiKeys.KEY_AUTH;
    private static final String KEY_FIELD = ApiKeys.KEY_FIELD;

    private ConsumerStep() {
    }

    /** A consumer its own checks accepted, before the check of keys claimed twice. */
    private record Candidate(Consumer consumer, ObjectReport report, List<String> digests) {
    }

    /**
     * With a memo whose last pass read the same lists of Consumers and Secrets (the kept cluster
     * state hands the same lists while their kinds do not change: a route edit, an endpoint change),
     * the step's outcome is the last one: replayed in O(consumers) copies, without a lookup, a
     * digest or a claim check. Otherwise each consumer's kept outcome is reused as usual.
     */
    static void run(ClusterState state, TranslationContext ctx) {
        TranslationMemo.StepOutcome last = ctx.memo == null ? null : ctx.memo.consumerStep;
        if (last != null && last.readFrom(state.consumers(), state.secrets())) {
            last.replay(ctx, ctx.consumers);
            ctx.refusedConsumers.addAll(last.refused);
            ctx.memo.consumers.keepAll();
            return;
        }
        List<dev.gatehouse.api.v1alpha1.Consumer> consumers = walk(state, ctx);
        if (ctx.memo != null) {
            ctx.memo.consumerStep = TranslationMemo.StepOutcome.of(ctx, consumers, ctx.consumers, ctx.refusedConsumers,
                    state.consumers(), state.secrets());
        }
    }

    /** Every Consumer, each reusing its kept outcome when it may; returns them in the order walked. */
    private static List<dev.gatehouse.api.v1alpha1.Consumer> walk(ClusterState state, TranslationContext ctx) {
        java.util.function.Function<String, Secret> secrets = state::secret;
        List<dev.gatehouse.api.v1alpha1.Consumer> consumers = ctx.sorted(ctx.memo == null ? null : ctx.memo.consumers,
                state.consumers());
        Map<String, Candidate> candidates = new LinkedHashMap<>(consumers.size() * 2);
        // A digest ("namespace|hex") → its first claimant; the digests claimed by another too, with every claimant.
        Map<String, String> firstClaim = new HashMap<>(consumers.size() * 2);
        Map<String, List<String>> claimedTwice = new TreeMap<>();
        for (dev.gatehouse.api.v1alpha1.Consumer c : consumers) {
            TranslationMemo.Entry kept = null;
            Object[] deps = null;
            ObjectReport report = null;
            if (ctx.memo != null) {
                deps = inputs(c, secrets);
                kept = ctx.memo.consumers.find(c, deps);
                report = kept == null ? null : ctx.reuse(kept);
            }
            Consumer built;
            List<String> digests;
            if (report != null) {
                built = (Consumer) kept.output;
                @SuppressWarnings("unchecked")
                List<String> keptDigests = (List<String>) kept.extra;
                digests = keptDigests;
            } else {
                boolean keep = ctx.keeps(c);
                report = ctx.report(c);
                built = build(c.getSpec(), report, secrets);
                report.keys = 0;
                digests = report.isInvalid() ? List.of()
                        : built.credentials().stream().map(cred -> built.namespace() + "|" + cred.digest().toHex()).toList();
                if (keep) {
                    ctx.memo.consumers.put(c, deps, built, report, digests);
                }
            }
            if (report.isInvalid()) {
                continue;
            }
            String key = report.source.key();
            candidates.put(key, new Candidate(built, report, digests));
            for (String digest : digests) {
                String first = firstClaim.putIfAbsent(digest, key);
                if (first != null) {
                    claimedTwice.computeIfAbsent(digest, d -> new ArrayList<>(List.of(first))).add(key);
                }
            }
        }
        for (List<String> owners : claimedTwice.values()) {
            List<String> distinct = owners.stream().distinct().toList();
            if (distinct.size() < 2) {
                continue;
            }
            for (String owner : distinct) {
                List<String> others = distinct.stream().filter(o -> !o.equals(owner)).map(o -> "Consumer " + o).toList();
                candidates.get(owner).report().conflict("spec.keyAuth", "a key of this consumer is also claimed by "
                        + String.join(", ", others) + " (expected: each key to belong to one consumer of the namespace; "
                        + "give one of them another Secret)");
            }
        }
        candidates.forEach((key, candidate) -> {
            if (candidate.report().isInvalid()) {
                ctx.refusedConsumers.add(key);
            } else {
                ctx.consumers.put(key, candidate.consumer());
                // distinct keys: one Secret named twice, or two Secrets holding one key, is one key
                List<String> digests = candidate.digests();
                candidate.report().keys = digests.size() < 2 ? digests.size() : (int) digests.stream().distinct().count();
            }
        });
        return consumers;
    }

    /**
     * What a Consumer's translation reads beyond the object: the Secret (or null) of each key
     * reference it resolves, in the order {@link #build} resolves them.
     */
    static Object[] inputs(dev.gatehouse.api.v1alpha1.Consumer c, java.util.function.Function<String, Secret> secrets) {
        ConsumerSpec spec = c.getSpec();
        if (spec == null || spec.keyAuth == null) {
            return UpstreamStep.NO_INPUTS;
        }
        String ns = Sources.namespace(c);
        List<ObjectRef> refs = Objects.requireNonNullElse(spec.keyAuth.secretRefs, List.of());
        List<Object> deps = new ArrayList<>(refs.size() + 1);
        for (ObjectRef ref : refs) {
            deps.add(ref.namespace != null && !ref.namespace.isEmpty() && !ref.namespace.equals(ns) ? null
                    : secrets.apply(ns + "/" + ref.name));
        }
        if (Boolean.TRUE.equals(spec.keyAuth.generate)) {
            deps.add(secrets.apply(ns + "/" + ApiKeys.secretName(c.getMetadata().getName())));
        }
        return deps.toArray();
    }

    private static Consumer build(ConsumerSpec spec, ObjectReport report, java.util.function.Function<String, Secret> secrets) {
        if (spec == null) {
            report.invalid("spec", "missing (expected: username or customId)");
            return null;
        }
        boolean hasUsername = spec.username != null && !spec.username.isBlank();
        boolean hasCustomId = spec.customId != null && !spec.customId.isBlank();
        if (!hasUsername && !hasCustomId) {
            report.invalid("spec.username", "missing (expected: at least one of username or customId)");
            return null;
        }
        List<Consumer.Credential> credentials = new ArrayList<>();
        ConsumerSpec.KeyAuth keyAuth = spec.keyAuth;
        if (keyAuth != null) {
            List<ObjectRef> refs = Objects.requireNonNullElse(keyAuth.secretRefs, List.of());
            for (int i = 0; i < refs.size(); i++) {
                String field = "spec.keyAuth.secretRefs[" + i + "]";
                if (RouteStep.sameNamespace(refs.get(i), field, report)) {
                    credential(refs.get(i).name, field + ".name", report, secrets, credentials);
                }
            }
            if (Boolean.TRUE.equals(keyAuth.generate)) {
                credential(ApiKeys.secretName(report.source.name()), "spec.keyAuth.generate", report, secrets, credentials);
            }
        }
        return new Consumer(report.source.uid(), report.source, hasUsername ? spec.username : null,
                hasCustomId ? spec.customId : null, credentials);
    }

    private static void credential(String secretName, String field, ObjectReport report, java.util.function.Function<String, Secret> secrets,
                                   List<Consumer.Credential> out) {
        String key = report.source.namespace() + "/" + secretName;
        Secret secret = secrets.apply(key);
        if (secret == null) {
            report.unresolved(Reason.RefNotFound, field, "Secret " + key + " not found"
                    + (field.endsWith("generate") ? " (the controller creates it; wait, or check the controller's log)" : ""));
            return;
        }
        Map<String, String> labels = secret.getMetadata().getLabels();
        if (labels == null || !CREDENTIAL_KEY_AUTH.equals(labels.get(CREDENTIAL_LABEL))) {
            report.unresolved(Reason.InvalidSecret, field, "Secret " + key + " is not labelled "
                    + CREDENTIAL_LABEL + "=" + CREDENTIAL_KEY_AUTH + " (expected: the label, so the controller may read it)");
            return;
        }
        byte[] value = secretValue(secret);
        if (value == null || value.length == 0) {
            report.unresolved(Reason.InvalidSecret, field, "Secret " + key + " has no data key \"" + KEY_FIELD
                    + "\" (expected: data.key in base64, or stringData.key)");
            return;
        }
        String credentialId = secret.getMetadata().getUid() == null || secret.getMetadata().getUid().isEmpty()
                ? Sources.derivedUid("Secret", report.source.namespace(), secretName) : secret.getMetadata().getUid();
        out.add(new Consumer.Credential(credentialId, KeyDigest.of(value)));
    }

    /** {@code stringData.key} wins over {@code data.key}, as the API server folds it. Null when absent or not base64. */
    static byte[] secretValue(Secret secret) {
        if (secret.getStringData() != null && secret.getStringData().get(KEY_FIELD) != null) {
            return secret.getStringData().get(KEY_FIELD).getBytes(StandardCharsets.UTF_8);
        }
        if (secret.getData() != null && secret.getData().get(KEY_FIELD) != null) {
            try {
                return Base64.getMimeDecoder().decode(secret.getData().get(KEY_FIELD));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }
}
