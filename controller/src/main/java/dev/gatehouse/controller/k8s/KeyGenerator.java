package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.controller.keys.ApiKeys;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.Sources;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Set;

/**
 * {@code keyAuth.generate: true}: creates Secret {@code <consumer>-key-auth} holding 32 random
 * bytes (URL-safe base64), labelled as a credential and owned by the Consumer (so it goes with
 * it). Create-only: a Secret that exists is never overwritten. Leader only. The key is never logged.
 */
public final class KeyGenerator {
    private static final Logger log = LoggerFactory.getLogger(KeyGenerator.class);
    private final KubernetesClient client;
    private final Set<String> warned = new HashSet<>();

    public KeyGenerator(KubernetesClient client) {
        this.client = client;
    }

    /** @return how many Secrets were created */
    public int run(ClusterState state) {
        int created = 0;
        for (Consumer c : state.consumers()) {
            if (c.getSpec() == null || c.getSpec().keyAuth == null || !Boolean.TRUE.equals(c.getSpec().keyAuth.generate)) {
                continue;
            }
            String ns = Sources.namespace(c);
            String name = ApiKeys.secretName(c.getMetadata().getName());
            if (state.secret(ns + "/" + name) != null) {
                continue;
            }
            Secret secret = ApiKeys.secret(ns, name, ApiKeys.generate())
                    .editMetadata().withOwnerReferences(new OwnerReferenceBuilder()
                            .withApiVersion(c.getApiVersion()).withKind(c.getKind()).withName(c.getMetadata().getName())
                            .withUid(c.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build())
                    .endMetadata().build();
            try {
                client.secrets().inNamespace(ns).resource(secret).create();
                created++;
                log.info("event=keys.generated consumer={}/{} secret={}", ns, c.getMetadata().getName(), name);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    if (warned.add(ns + "/" + name)) {
                        log.warn("event=keys.secret_exists consumer={}/{} secret={} hint=\"a Secret of that name exists without "
                                + "the label gatehouse.dev/credential=key-auth; label it or delete it\"", ns, c.getMetadata().getName(), name);
                    }
                } else {
                    log.warn("event=keys.create_failed consumer={}/{} secret={} code={}", ns, c.getMetadata().getName(), name, e.getCode());
                }
            }
        }
        return created;
    }
}
