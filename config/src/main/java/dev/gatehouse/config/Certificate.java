package dev.gatehouse.config;

import java.util.List;
import java.util.Objects;

/**
 * A TLS certificate the proxy serves on its TLS port, read by the controller from a Secret of
 * type {@code kubernetes.io/tls} (or, in local mode, from the same Secret in a file) and checked
 * there: the key matches the leaf, the leaf is not expired, its SANs cover every name in
 * {@code serverNames}. A Secret that fails a check never reaches a snapshot.
 *
 * @param id          the Secret, {@code namespace/name}
 * @param serverNames the SNI names it is served for, lower case, in the syntax of
 *                    {@link Route#hosts()}: exact names, {@code *.suffix} (any depth) and
 *                    {@code +.suffix} (one label); an exact name is chosen before a wildcard.
 *                    Empty for a certificate that is only the {@code fallback}
 * @param chainPem    the leaf first, then its intermediates, PEM
 * @param keyPem      the leaf's private key, PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), whatever
 *                    the Secret held (PKCS#1 and SEC1 keys are converted by the controller)
 * @param notAfterEpochSecond when the leaf expires
 * @param fallback    served to clients that send no SNI name or one no certificate is for (the
 *                    proxy-wide default certificate); at most one per snapshot
 */
public record Certificate(String id, List<String> serverNames, String chainPem, String keyPem,
                          long notAfterEpochSecond, boolean fallback) {
    public Certificate {
        Objects.requireNonNull(id, "id");
        serverNames = List.copyOf(Objects.requireNonNullElse(serverNames, List.of()));
    }

    /** Never prints the key: snapshots, problems and logs may show a certificate. */
    @Override
    public String toString() {
        return "Certificate[id=" + id + ", serverNames=" + serverNames + ", notAfterEpochSecond=" + notAfterEpochSecond
                + ", fallback=" + fallback + ", keyPem=<redacted>]";
    }
}
