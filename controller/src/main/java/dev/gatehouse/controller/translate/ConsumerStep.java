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

    static void run(ClusterState state, TranslationContext ctx) {
        Map<String, Secret> secrets = new TreeMap<>();
        for (Secret s : state.secrets()) {
            secrets.put(Sources.key(s), s);
        }
        Map<String, Consumer> candidates = new LinkedHashMap<>();
        Map<String, ObjectReport> reports = new LinkedHashMap<>();
        for (dev.gatehouse.api.v1alpha1.Consumer c : ctx.sorted(state.consumers())) {
            ObjectReport report = ctx.report(c);
            Consumer built = build(c.getSpec(), report, secrets);
            report.keys = 0;
            if (!report.isInvalid()) {
                candidates.put(report.source.key(), built);
                reports.put(report.source.key(), report);
            }
        }
        // A digest → the consumers (and Secrets) that claim it, per namespace.
        Map<String, List<String>> claims = new TreeMap<>();
        for (Consumer c : candidates.values()) {
            for (Consumer.Credential cred : c.credentials()) {
                claims.computeIfAbsent(c.namespace() + "|" + cred.digest().toHex(), k -> new ArrayList<>())
                        .add(c.source().key());
            }
        }
        for (List<String> owners : claims.values()) {
            List<String> distinct = owners.stream().distinct().toList();
            if (distinct.size() < 2) {
                continue;
            }
            for (String owner : distinct) {
                List<String> others = distinct.stream().filter(o -> !o.equals(owner)).map(o -> "Consumer " + o).toList();
                reports.get(owner).conflict("spec.keyAuth", "a key of this consumer is also claimed by "
                        + String.join(", ", others) + " (expected: each key to belong to one consumer of the namespace; "
                        + "give one of them another Secret)");
            }
        }
        candidates.forEach((key, consumer) -> {
            if (reports.get(key).isInvalid()) {
                ctx.refusedConsumers.add(key);
            } else {
                ctx.consumers.put(key, consumer);
                // distinct keys: one Secret named twice, or two Secrets holding one key, is one key
                reports.get(key).keys = (int) consumer.credentials().stream().map(cred -> cred.digest().toHex()).distinct().count();
            }
        });
    }

    private static Consumer build(ConsumerSpec spec, ObjectReport report, Map<String, Secret> secrets) {
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

    private static void credential(String secretName, String field, ObjectReport report, Map<String, Secret> secrets,
                                   List<Consumer.Credential> out) {
        String key = report.source.namespace() + "/" + secretName;
        Secret secret = secrets.get(key);
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
