package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Route;
import io.fabric8.kubernetes.api.model.Secret;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The TLS Secrets that routes, Ingresses and Gateway listeners name ({@link TranslationContext.TlsClaim})
 * and the default certificate → snapshot certificates, one per Secret, sorted by id:
 * <ul>
 *   <li>a Secret that cannot be served (missing, wrong type, unreadable, key not the leaf's,
 *       expired or not valid yet, SANs covering none of the hosts) → the claim's {@code ResolvedRefs=False},
 *       reason {@link Reason#InvalidCertificateRef}; the route stays, over plain HTTP, and loses
 *       its https redirect (it would send clients to a port with no certificate for them);</li>
 *   <li>hosts the SANs do not cover are left out of the certificate's names, with a warning;</li>
 *   <li>several claims on one Secret → one certificate with the union of their names;</li>
 *   <li>the same name claimed with two Secrets → the first claim in route order wins (the
 *       router's tie-break: GatewayRoutes oldest first, then Ingresses); the other gets a warning
 *       naming the winner;</li>
 *   <li>a certificate expiring within {@link TlsSecret#EXPIRY_WARNING} → a warning, never a refusal;</li>
 *   <li>Gateway HTTPS listeners claim last ({@link TranslationContext.Scope}): their Secrets were
 *       checked with the listener, so an uncovered hostname is a note, never a refusal;</li>
 *   <li>the fallback certificate (no SNI, or a name no certificate is for) is the
 *       {@code --default-certificate-secret} when it can be served, else the certificate of the
 *       first HTTPS listener without hostname (Gateways by namespace/name, listeners in order).</li>
 * </ul>
 */
final class CertificateStep {
    private CertificateStep() {
    }

    /** One Secret's outcome, read once per translation however many claims and listeners name it. */
    record Read(TlsSecret tls, String refusal) {
    }

    static void run(ClusterState state, TlsSettings settings, TranslationContext ctx) {
        Map<String, Set<String>> names = new TreeMap<>();
        Map<String, TlsSecret> served = new TreeMap<>();
        Map<String, TranslationContext.TlsClaim> owners = new HashMap<>();
        Set<String> plainOnly = new HashSet<>();
        List<TranslationContext.TlsClaim> anyHost = new ArrayList<>();
        for (TranslationContext.TlsClaim claim : ctx.tlsClaims) {
            Read read = read(state, claim.namespace(), claim.secretName(), settings, ctx);
            String refusal = read.refusal();
            boolean route = claim.scope() == TranslationContext.Scope.ROUTE;
            ServerNames cover = null;
            if (refusal == null) {
                cover = ServerNames.cover(claim.hosts(), read.tls().dnsNames());
                if (cover.names().isEmpty() && route) {
                    refusal = "the certificate's DNS names " + read.tls().dnsNames() + " cover none of the hosts "
                            + claim.hosts() + " (fix: a certificate with one of them among its SANs, or the hosts it was issued for)";
                }
            }
            if (refusal != null) {
                claim.report().warn(Reason.InvalidCertificateRef, claim.field(), "Secret \"" + claim.secretName() + "\": "
                        + refusal + "; until then these hosts are served over plain HTTP only");
                plainOnly.addAll(claim.routeIds());
                continue;
            }
            for (String host : cover.uncovered()) {
                claim.report().warn(Reason.HostNotCovered, claim.field(), "the certificate of Secret \"" + claim.secretName()
                        + "\" does not cover " + host + ", which gets no certificate from it (fix: add the host to the "
                        + "certificate's SANs, or " + (route ? "move it to a route with its own Secret)"
                        : "serve it on a listener of its own with a certificate for it)"));
            }
            expiring(claim.report(), claim.field(), claim.secretName(), read.tls(), settings.now());
            Set<String> mine = names.computeIfAbsent(claim.secretKey(), k -> new TreeSet<>());
            served.put(claim.secretKey(), read.tls());
            if (claim.scope() == TranslationContext.Scope.LISTENER_ANY_HOST) {
                anyHost.add(claim);
            }
            for (String name : cover.names()) {
                TranslationContext.TlsClaim owner = owners.putIfAbsent(name, claim);
                if (owner != null && !owner.secretKey().equals(claim.secretKey())) {
                    claim.report().warn(Reason.CertificateConflict, claim.field(), name + " is served with Secret \""
                            + owner.secretName() + "\" of " + owner.report().source.display() + ", which comes first "
                            + "(oldest route, then namespace/name" + (route && owner.scope() == TranslationContext.Scope.ROUTE
                            ? "" : "; Gateway listeners after routes and Ingresses") + "); Secret \""
                            + claim.secretName() + "\" is not served for it (fix: name the same Secret in both, or remove "
                            + "the host from one)");
                    continue;
                }
                mine.add(name);
            }
        }
        DefaultCertificate fallback = fallback(state, settings, ctx);
        ctx.defaultCertificate = fallback;
        String fallbackKey = fallback != null && fallback.served() ? fallback.secret()
                : anyHost.isEmpty() ? null : anyHost.get(0).secretKey();
        for (TranslationContext.TlsClaim c : anyHost) {
            if (!c.secretKey().equals(fallbackKey)) {
                c.report().warn(Reason.CertificateConflict, c.field(), "clients without SNI, or asking for a name no "
                        + "certificate is for, get the certificate of Secret " + fallbackKey + " ("
                        + (fallback != null && fallback.served() ? "the " + TlsSettings.FLAG
                        : "the first HTTPS listener without hostname, Gateways by namespace/name") + "), not this one");
            }
        }
        String chosen = fallbackKey;
        served.forEach((key, tls) -> {
            boolean isFallback = key.equals(chosen);
            if (!names.get(key).isEmpty() || isFallback) {
                ctx.certificates.put(key, certificate(key, List.copyOf(names.get(key)), tls, isFallback));
            }
        });
        if (fallback != null && fallback.served() && !ctx.certificates.containsKey(fallback.secret())) {
            Read read = read(state, settings.defaultNamespace(), settings.defaultName(), settings, ctx);
            ctx.certificates.put(fallback.secret(), certificate(fallback.secret(), List.of(), read.tls(), true));
        }
        if (settings.cache() != null) {
            settings.cache().endPass();
        }
        if (!plainOnly.isEmpty()) {
            for (int i = 0; i < ctx.routes.size(); i++) {
                Route r = ctx.routes.get(i);
                if (r.httpsRedirect() && plainOnly.contains(r.id())) {
                    ctx.routes.set(i, r.withHttpsRedirect(false));
                }
            }
        }
    }

    /**
     * The Secret {@code namespace/name} read as a certificate, once per translation (memo in
     * {@code ctx}): its checks ({@link TlsSecret}) and the expiry at the translation's time.
     */
    static Read read(ClusterState state, String namespace, String name, TlsSettings settings, TranslationContext ctx) {
        String key = namespace + "/" + name;
        Read memo = ctx.certificateReads.get(key);
        if (memo != null) {
            return memo;
        }
        Secret secret = state.secret(key);
        Read read;
        if (secret == null) {
            read = new Read(null, "not found in namespace " + namespace + " (fix: create a kubernetes.io/tls Secret \""
                    + name + "\" there, or correct the name)");
        } else {
            try {
                TlsSecret parsed = settings.cache() == null ? TlsSecret.parse(secret) : settings.cache().parse(secret);
                read = new Read(TlsSecret.checkValidity(parsed, settings.now()), null);
            } catch (TlsSecret.Refused e) {
                read = new Read(null, e.getMessage());
            }
        }
        ctx.certificateReads.put(key, read);
        return read;
    }

    private static void expiring(ObjectReport report, String field, String secretName, TlsSecret tls, Instant now) {
        Duration left = Duration.between(now, tls.notAfter());
        if (left.compareTo(TlsSecret.EXPIRY_WARNING) <= 0) {
            report.warn(Reason.CertificateExpiring, field, "the certificate of Secret \"" + secretName + "\" expires at "
                    + tls.notAfter() + ", in " + left.toDays() + " days (fix: renew it; cert-manager renews 30 days ahead "
                    + "by default, so check its Certificate's status)");
        }
    }

    /** The default certificate: served as the fallback, or not and why (never a failure of the translation). */
    private static DefaultCertificate fallback(ClusterState state, TlsSettings settings, TranslationContext ctx) {
        if (settings.defaultCertificate() == null) {
            return null;
        }
        String key = settings.defaultCertificate();
        Read read = read(state, settings.defaultNamespace(), settings.defaultName(), settings, ctx);
        if (read.refusal() != null) {
            return new DefaultCertificate(key, false, TlsSettings.FLAG + " " + key + ": Secret \"" + settings.defaultName()
                    + "\": " + read.refusal() + "; clients without SNI or with an unknown name get no certificate until then");
        }
        Duration left = Duration.between(settings.now(), read.tls().notAfter());
        String warning = left.compareTo(TlsSecret.EXPIRY_WARNING) <= 0 ? TlsSettings.FLAG + " " + key
                + ": the certificate expires at " + read.tls().notAfter() + ", in " + left.toDays() + " days (fix: renew it)" : null;
        return new DefaultCertificate(key, true, warning);
    }

    private static Certificate certificate(String id, List<String> serverNames, TlsSecret tls, boolean fallback) {
        return new Certificate(id, serverNames, tls.chainPem(), tls.keyPem(), tls.notAfter().getEpochSecond(), fallback);
    }
}
