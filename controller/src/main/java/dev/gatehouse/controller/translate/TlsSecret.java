package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.Secret;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Secret of type {@code kubernetes.io/tls}, read and checked: {@code tls.crt} holds a PEM chain
 * (the leaf first), {@code tls.key} the leaf's private key as PKCS#8 ({@code PRIVATE KEY}), PKCS#1
 * ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}) PEM — cert-manager writes PKCS#1 by
 * default — and the key must be the leaf's. The key is normalised to PKCS#8 PEM, the chain to its
 * certificates alone (no comments or other blocks), so the proxy reads one form.
 *
 * <p>Pure: the caller passes {@code now}. A refusal says what is wrong and never quotes key
 * material. {@link #toString()} never prints the key.
 *
 * @param chainPem  the certificates, leaf first, re-encoded as PEM
 * @param keyPem    PKCS#8 PEM
 * @param dnsNames  the leaf's DNS SANs, lower case, in certificate order
 * @param notBefore when the leaf becomes valid
 * @param notAfter  when the leaf expires
 */
record TlsSecret(String chainPem, String keyPem, List<String> dnsNames, Instant notBefore, Instant notAfter) {
    static final String TYPE = TlsSettings.SECRET_TYPE;
    static final String CERT = "tls.crt";
    static final String KEY = "tls.key";
    /** A certificate expiring within this is reported, 14 days ahead as cert-manager's default renewal leaves 30. */
    static final java.time.Duration EXPIRY_WARNING = java.time.Duration.ofDays(14);

    /** Why a Secret cannot be served; the message names what to fix and never holds key material. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public String toString() {
        return "TlsSecret[dnsNames=" + dnsNames + ", notBefore=" + notBefore + ", notAfter=" + notAfter + ", keyPem=<redacted>]";
    }

    /**
     * {@link #parse} and the validity check.
     *
     * @param secret the Secret as read from the cluster or a file
     * @param now    the translator's clock, for the validity period
     */
    static TlsSecret read(Secret secret, Instant now) throws Refused {
        return checkValidity(parse(secret), now);
    }

    /**
     * Refused when the leaf is not valid at {@code now}: expired ({@code notAfter}), or not valid
     * yet ({@code notBefore} in the future: clients refuse it as they refuse an expired one; a
     * certificate issued ahead, or a clock that is wrong on the issuer or here).
     */
    static TlsSecret checkValidity(TlsSecret tls, Instant now) throws Refused {
        if (!tls.notAfter().isAfter(now)) {
            throw new Refused("the certificate in " + CERT + " expired at " + tls.notAfter()
                    + " (fix: renew it and update the Secret)");
        }
        if (tls.notBefore().isAfter(now)) {
            throw new Refused("the certificate in " + CERT + " is not valid before " + tls.notBefore()
                    + " (its notBefore) (fix: serve a certificate valid now, or check the issuer's clock)");
        }
        return tls;
    }

    /** Every check that does not depend on the time: what {@link CertificateCache} keeps. */
    static TlsSecret parse(Secret secret) throws Refused {
        if (!TYPE.equals(secret.getType())) {
            throw new Refused("has type \"" + (secret.getType() == null ? "" : secret.getType()) + "\" (fix: a Secret of type "
                    + TYPE + ", e.g. kubectl create secret tls NAME --cert=tls.crt --key=tls.key)");
        }
        String certText = value(secret, CERT);
        String keyText = value(secret, KEY);
        List<X509Certificate> chain = certificates(certText);
        PrivateKeyInfo key = privateKey(keyText);
        X509Certificate leaf = chain.get(0);
        checkPair(key, leaf);
        Instant notBefore = leaf.getNotBefore().toInstant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        StringBuilder chainPem = new StringBuilder();
        try {
            for (X509Certificate c : chain) {
                chainPem.append(pem("CERTIFICATE", c.getEncoded()));
            }
            return new TlsSecret(chainPem.toString(), pem("PRIVATE KEY", key.getEncoded()), dnsNames(leaf), notBefore, notAfter);
        } catch (IOException | java.security.cert.CertificateEncodingException e) {
            throw new Refused("cannot be re-encoded (" + e.getClass().getSimpleName() + ") (fix: a certificate and key in PEM)");
        }
    }

    /**
     * What the Secret's certificate and key are made of, for {@link CertificateCache}: its type and the
     * raw values of both keys, so a change of either (a rotation) is a new entry.
     */
    static String contentKey(Secret secret) {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (String part : new String[] {secret.getType(), raw(secret.getStringData(), CERT), raw(secret.getStringData(), KEY),
                raw(secret.getData(), CERT), raw(secret.getData(), KEY)}) {
            sha.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static String raw(Map<String, String> values, String name) {
        return values == null ? null : values.get(name);
    }

    /** The value of a data key: {@code stringData} (local files) wins over base64 {@code data}, as the API server folds it. */
    private static String value(Secret secret, String name) throws Refused {
        Map<String, String> stringData = secret.getStringData();
        if (stringData != null && stringData.get(name) != null && !stringData.get(name).isBlank()) {
            return stringData.get(name);
        }
        Map<String, String> data = secret.getData();
        String encoded = data == null ? null : data.get(name);
        if (encoded == null || encoded.isBlank()) {
            throw new Refused("has no \"" + name + "\" (fix: data." + name + " in base64, or stringData." + name + " in PEM)");
        }
        try {
            return new String(Base64.getMimeDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Refused("data." + name + " is not base64 (fix: base64 of the PEM, or stringData." + name + " with the PEM itself)");
        }
    }

    private static List<X509Certificate> certificates(String text) throws Refused {
        List<X509Certificate> chain = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new Refused(CERT + " holds a " + kind(o) + " block (fix: only CERTIFICATE blocks, the leaf first, "
                            + "then its intermediates)");
                }
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(holder.getEncoded())));
            }
        } catch (IOException | CertificateException e) {
            throw new Refused(CERT + " is not a readable PEM certificate chain (fix: PEM CERTIFICATE blocks, the leaf first)");
        }
        if (chain.isEmpty()) {
            throw new Refused(CERT + " holds no PEM certificate (fix: -----BEGIN CERTIFICATE----- blocks, the leaf first)");
        }
        return chain;
    }

    private static PrivateKeyInfo privateKey(String text) throws Refused {
        Object o;
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            o = parser.readObject();
        } catch (IOException e) {
            o = null;
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new Refused(KEY + " is encrypted (fix: an unencrypted key, as Kubernetes TLS Secrets hold; the Secret "
                    + "itself is what protects it)");
        }
        if (o instanceof PEMKeyPair pair) {
            return pair.getPrivateKeyInfo();
        }
        if (o instanceof PrivateKeyInfo info) {
            return info;
        }
        throw new Refused(KEY + " is not a readable PEM private key (fix: a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)");
    }

    /** The key must be the leaf's: compared on the public parts, without signing anything. */
    private static void checkPair(PrivateKeyInfo key, X509Certificate leaf) throws Refused {
        AsymmetricKeyParameter priv;
        AsymmetricKeyParameter pub;
        try {
            priv = PrivateKeyFactory.createKey(key);
            pub = PublicKeyFactory.createKey(leaf.getPublicKey().getEncoded());
        } catch (IOException | RuntimeException e) {
            throw new Refused(KEY + " is a key of a type Gatehouse cannot read (fix: an RSA, EC or Ed25519 key)");
        }
        boolean matches;
        if (priv instanceof RSAPrivateCrtKeyParameters rsa && pub instanceof RSAKeyParameters rsaPub) {
            matches = rsa.getModulus().equals(rsaPub.getModulus()) && rsa.getPublicExponent().equals(rsaPub.getExponent());
        } else if (priv instanceof ECPrivateKeyParameters ec && pub instanceof ECPublicKeyParameters ecPub) {
            matches = ec.getParameters().getCurve().equals(ecPub.getParameters().getCurve())
                    && ec.getParameters().getG().multiply(ec.getD()).normalize().equals(ecPub.getQ().normalize());
        } else if (priv instanceof Ed25519PrivateKeyParameters ed && pub instanceof Ed25519PublicKeyParameters edPub) {
            matches = java.util.Arrays.equals(ed.generatePublicKey().getEncoded(), edPub.getEncoded());
        } else if (priv instanceof RSAPrivateCrtKeyParameters || priv instanceof ECPrivateKeyParameters
                || priv instanceof Ed25519PrivateKeyParameters) {
            matches = false;
        } else {
            throw new Refused(KEY + " is a key of a type Gatehouse cannot serve (fix: an RSA, EC or Ed25519 key)");
        }
        if (!matches) {
            throw new Refused(KEY + " does not match the certificate in " + CERT + " (fix: the key the leaf certificate, "
                    + "the first in " + CERT + ", was issued for)");
        }
    }

    private static List<String> dnsNames(X509Certificate leaf) throws Refused {
        Collection<List<?>> sans;
        try {
            sans = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new Refused("the certificate's subjectAltName extension cannot be read (fix: a certificate with DNS SANs)");
        }
        List<String> names = new ArrayList<>();
        if (sans != null) {
            for (List<?> san : sans) {
                if (Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String dns) {
                    String lower = dns.toLowerCase(Locale.ROOT);
                    if (!names.contains(lower)) {
                        names.add(lower);
                    }
                }
            }
        }
        return List.copyOf(names);
    }

    private static String kind(Object o) {
        return o.getClass().getSimpleName().replace("Holder", "").replace("Info", "");
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
