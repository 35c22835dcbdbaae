package dev.gatehouse.controller.translate;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the translator needs for certificates besides the cluster state: the proxy-wide default
 * certificate and the time, so that translation stays pure (tests pin the time).
 *
 * @param defaultCertificate the {@code --default-certificate-secret}, {@code namespace/name}; null for none
 * @param now                the time certificates are checked against (expiry, the 14-day warning)
 * @param cache              a memo of parsed Secrets kept across translations; null for none
 */
public record TlsSettings(String defaultCertificate, Instant now, CertificateCache cache) {
    /** The flag that names the default certificate, for messages that tell what to fix. */
    public static final String FLAG = "--default-certificate-secret";
    /** The Secret type a certificate must have (the informer's field selector and the check of {@code TlsSecret}). */
    public static final String SECRET_TYPE = "kubernetes.io/tls";
    private static final Pattern NAME = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static final Pattern SECRET = Pattern.compile(dev.gatehouse.api.v1alpha1.Schema.SECRET_NAME);

    public TlsSettings {
        Objects.requireNonNull(now, "now");
        if (defaultCertificate != null) {
            defaultCertificate = checkSecretRef(defaultCertificate);
        }
    }

    /** Without a memo: every Secret is parsed on every translation. */
    /**
     * The {@value #FLAG} value as given on a command line: null when absent or empty, else checked
     * ({@link #checkSecretRef}).
     *
     * @throws IllegalArgumentException naming the flag and the expected form
     */
    public static String flagValue(String value) {
        return value == null || value.isEmpty() ? null : checkSecretRef(value);
    }

    public TlsSettings(String defaultCertificate, Instant now) {
        this(defaultCertificate, now, null);
    }

    /** No default certificate, checked against the given time. */
    public static TlsSettings at(Instant now) {
        return new TlsSettings(null, now);
    }

    public TlsSettings withDefaultCertificate(String namespaceAndName) {
        return new TlsSettings(namespaceAndName, now, cache);
    }

    /**
     * @return the reference itself when it is {@code namespace/name}
     * @throws IllegalArgumentException naming the flag and the expected form
     */
    public static String checkSecretRef(String value) {
        int slash = value == null ? -1 : value.indexOf('/');
        if (slash < 0 || !NAME.matcher(value.substring(0, slash)).matches()
                || !SECRET.matcher(value.substring(slash + 1)).matches()) {
            throw new IllegalArgumentException(FLAG + ": \"" + value + "\" (expected: NAMESPACE/NAME of a kubernetes.io/tls "
                    + "Secret, e.g. gatehouse-system/default-tls)");
        }
        return value;
    }

    /** The namespace of the default certificate's Secret; null for none. */
    public String defaultNamespace() {
        return defaultCertificate == null ? null : defaultCertificate.substring(0, defaultCertificate.indexOf('/'));
    }

    /** The name of the default certificate's Secret; null for none. */
    public String defaultName() {
        return defaultCertificate == null ? null : defaultCertificate.substring(defaultCertificate.indexOf('/') + 1);
    }
}
