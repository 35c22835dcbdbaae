package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerTLSConfig;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.SecretObjectReference;

import java.util.List;
import java.util.Objects;

/**
 * The {@code tls} of one Gateway HTTPS listener, checked as the Gateway API asks (listener
 * conditions, gateway.networking.k8s.io/v1):
 * <ul>
 *   <li>{@code mode: Passthrough} (or any mode but {@code Terminate}, the default) →
 *       {@code Accepted=False, UnsupportedProtocol}: Gatehouse terminates TLS, it does not pass it through;</li>
 *   <li>no {@code certificateRefs}; a reference whose group is not the core group or whose kind is
 *       not {@code Secret}; a Secret that is missing or cannot be served (the checks of
 *       {@link TlsSecret}: type, PEM, key matching the leaf, expiry) →
 *       {@code ResolvedRefs=False, InvalidCertificateRef};</li>
 *   <li>a Secret in another namespace without a ReferenceGrant there that lets Gateways of this
 *       namespace use it ({@link ReferenceGrants#permits}) → {@code ResolvedRefs=False, RefNotPermitted}.</li>
 * </ul>
 * Every reference is checked; the listener is programmed only when all resolve, and the first one
 * is served (one certificate per name on the proxy's TLS port). The Secret is read once per
 * translation ({@link CertificateStep#read}), the same read the certificate step serves it from.
 */
final class ListenerCertificates {
    private ListenerCertificates() {
    }

    /**
     * What the check found.
     *
     * @param unsupported   when the listener cannot be accepted: why ({@code UnsupportedProtocol}); else null
     * @param refused       when a reference does not resolve: the {@code ResolvedRefs=False} condition; else null
     * @param namespace     the Secret to serve: its namespace (null unless the listener is fine)
     * @param secretName    the Secret to serve: its name
     * @param field         the field naming it, for notes about it
     * @param ignored       how many further references are checked but not served
     */
    record Checked(String unsupported, GatewayApiStatus.Condition refused, String namespace, String secretName, String field,
                   int ignored) {
    }

    static Checked check(Gateway gateway, Listener listener, ClusterState state, TlsSettings settings, TranslationContext ctx) {
        String gatewayNamespace = Sources.namespace(gateway);
        ListenerTLSConfig tls = listener.getTls();
        String mode = tls == null || tls.getMode() == null ? "Terminate" : tls.getMode();
        if (!mode.equals("Terminate")) {
            return new Checked("tls.mode: " + mode + " is not supported: Gatehouse terminates TLS on the proxy's TLS port "
                    + "and never passes it through (expected: Terminate, the default)", null, null, null, null, 0);
        }
        List<SecretObjectReference> refs = tls == null || tls.getCertificateRefs() == null ? List.of() : tls.getCertificateRefs();
        if (refs.isEmpty()) {
            return refused("InvalidCertificateRef", "tls.certificateRefs: none (fix: name a kubernetes.io/tls Secret, "
                    + "e.g. certificateRefs: [{name: example-tls}])");
        }
        for (int i = 0; i < refs.size(); i++) {
            SecretObjectReference ref = refs.get(i);
            String field = "tls.certificateRefs[" + i + "]";
            String group = Objects.requireNonNullElse(ref.getGroup(), "");
            String kind = Objects.requireNonNullElse(ref.getKind(), "Secret");
            if (ref.getName() == null || ref.getName().isEmpty()) {
                return refused("InvalidCertificateRef", field + ".name: missing (fix: the name of a kubernetes.io/tls Secret)");
            }
            if (!group.isEmpty() || !kind.equals("Secret")) {
                return refused("InvalidCertificateRef", field + ": " + (group.isEmpty() ? "" : group + "/") + kind + " \""
                        + ref.getName() + "\" is not a Secret (expected: group \"\" and kind Secret, a kubernetes.io/tls Secret)");
            }
            String namespace = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? gatewayNamespace : ref.getNamespace();
            if (!ReferenceGrants.permits(state.gatewayApi(), ReferenceGrants.GATEWAY_GROUP, "Gateway", gatewayNamespace,
                    "", "Secret", namespace, ref.getName())) {
                return refused("RefNotPermitted", field + ": Secret " + namespace + "/" + ref.getName() + " is in another "
                        + "namespace and no ReferenceGrant there permits it (fix: a ReferenceGrant in namespace " + namespace
                        + " from Gateways of namespace " + gatewayNamespace + " to this Secret, or all Secrets)");
            }
            CertificateStep.Read read = CertificateStep.read(state, namespace, ref.getName(), settings, ctx);
            if (read.refusal() != null) {
                return refused("InvalidCertificateRef", field + ": Secret \"" + ref.getName() + "\": " + read.refusal());
            }
        }
        SecretObjectReference first = refs.get(0);
        String namespace = first.getNamespace() == null || first.getNamespace().isEmpty() ? gatewayNamespace : first.getNamespace();
        return new Checked(null, null, namespace, first.getName(), "tls.certificateRefs[0]", refs.size() - 1);
    }

    private static Checked refused(String reason, String message) {
        return new Checked(null, new GatewayApiStatus.Condition("ResolvedRefs", false, reason, message), null, null, null, 0);
    }
}
