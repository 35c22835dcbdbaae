package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Route;
import io.fabric8.kubernetes.api.model.Secret;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The TLS Secrets that routes and Ingresses name ({@link TranslationContext.TlsClaim}) and the
 * default certificate → snapshot certificates, one per Secret, sorted by id:
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
 *   <li>a certificate expiring within {@link TlsSecret#EXPIRY_WARNING} → a warning, never a refusal.</li>
 * </ul>
 */
final class CertificateStep {
    private CertificateStep() {
    }

    /** One Secret's outcome, read once however many claims name it. */
    private record Read(TlsSecret tls, String refusal) {
    }

    static void run(ClusterState state, TlsSettings settings, TranslationContext ctx) {
        Map<String, Secret> secrets = new TreeMap<>();
        for (Secret s : state.secrets()) {
            secrets.put(Sources.key(s), s);
        }
        Map<String, Read> reads = new HashMap<>();
        Map<String, Set<String>> names = new TreeMap<>();
        Map<String, TlsSecret> served = new TreeMap<>();
        Map<String, TranslationContext.TlsClaim> owners = new HashMap<>();
        Set<String> plainOnly = new HashSet<>();
        for (TranslationContext.TlsClaim claim : ctx.tlsClaims) {
            Read read = reads.computeIfAbsent(claim.secretKey(), k -> read(secrets.get(k), claim.secretName(),
                    claim.namespace(), settings));
            String refusal = read.refusal();
            ServerNames cover = null;
            if (refusal == null) {
                cover = ServerNames.cover(claim.hosts(), read.tls().dnsNames());
                if (cover.names().isEmpty()) {
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
                        + "certificate's SANs, or move it to a route with its own Secret)");
            }
            expiring(claim.report(), claim.field(), claim.secretName(), read.tls(), settings.now());
            Set<String> mine = names.computeIfAbsent(claim.secretKey(), k -> new TreeSet<>());
            served.put(claim.secretKey(), read.tls());
            for (String name : cover.names()) {
                TranslationContext.TlsClaim owner = owners.putIfAbsent(name, claim);
                if (owner != null && !owner.secretKey().equals(claim.secretKey())) {
                    claim.report().warn(Reason.CertificateConflict, claim.field(), name + " is served with Secret \""
                            + owner.secretName() + "\" of " + owner.report().source.display() + ", which comes first "
                            + "(oldest route, then namespace/name); Secret \"" + claim.secretName() + "\" is not served "
                            + "for it (fix: name the same Secret in both, or remove the host from one)");
                    continue;
                }
                mine.add(name);
            }
        }
        DefaultCertificate fallback = fallback(settings, secrets);
        ctx.defaultCertificate = fallback;
        served.forEach((key, tls) -> {
            boolean isFallback = fallback != null && fallback.served() && fallback.secret().equals(key);
            if (!names.get(key).isEmpty() || isFallback) {
                ctx.certificates.put(key, certificate(key, List.copyOf(names.get(key)), tls, isFallback));
            }
        });
        if (fallback != null && fallback.served() && !ctx.certificates.containsKey(fallback.secret())) {
            Read read = read(secrets.get(fallback.secret()), settings.defaultName(), settings.defaultNamespace(), settings);
            ctx.certificates.put(fallback.secret(), certificate(fallback.secret(), List.of(), read.tls(), true));
        }
        if (settings.cache() != null) {
            settings.cache().endPass();
        }
        if (!plainOnly.isEmpty()) {
            for (int i = 0; i < ctx.routes.size(); i++) {
                Route r = ctx.routes.get(i);
                if (r.httpsRedirect() && plainOnly.contains(r.id())) {
                    ctx.routes.set(i, withoutRedirect(r));
                }
            }
        }
    }

    private static Read read(Secret secret, String name, String namespace, TlsSettings settings) {
        if (secret == null) {
            return new Read(null, "not found in namespace " + namespace + " (fix: create a kubernetes.io/tls Secret \""
                    + name + "\" there, or correct the name)");
        }
        try {
            TlsSecret parsed = settings.cache() == null ? TlsSecret.parse(secret) : settings.cache().parse(secret);
            return new Read(TlsSecret.checkValidity(parsed, settings.now()), null);
        } catch (TlsSecret.Refused e) {
            return new Read(null, e.getMessage());
        }
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
    private static DefaultCertificate fallback(TlsSettings settings, Map<String, Secret> secrets) {
        if (settings.defaultCertificate() == null) {
            return null;
        }
        String key = settings.defaultCertificate();
        Read read = read(secrets.get(key), settings.defaultName(), settings.defaultNamespace(), settings);
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

    private static Route withoutRedirect(Route r) {
        return r.withHttpsRedirect(false);
    }
}
