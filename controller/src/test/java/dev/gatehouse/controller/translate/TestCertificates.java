package dev.gatehouse.controller.translate;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates made at test time with BouncyCastle: a CA and leaves it signs, for the DNS names,
 * validity and key type a test needs, as the PEM a {@code kubernetes.io/tls} Secret holds. Shared
 * with the e2e tests (test-jar).
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    /** How the private key is written: PKCS#8 ({@code PRIVATE KEY}), or the key type's own (PKCS#1 RSA, SEC1 EC). */
    public enum KeyFormat { PKCS8, TRADITIONAL }

    /** An RSA or EC key pair. */
    public enum KeyType { RSA, EC }

    /** A CA: its key and self-signed certificate. */
    public record Ca(KeyPair keys, X509CertificateHolder cert) {
        public String certPem() throws IOException {
            return TlsSecret.pem("CERTIFICATE", cert.getEncoded());
        }
    }

    /**
     * @param chainPem the leaf, then the CA
     * @param keyPem   the leaf's private key
     * @param keys     the leaf's key pair
     */
    public record Leaf(String chainPem, String keyPem, KeyPair keys) {
    }

    private TestCertificates() {
    }

    public static Ca ca(String name, Instant notBefore, Instant notAfter) throws GeneralSecurityException, IOException {
        KeyPair keys = keys(KeyType.EC);
        X500Name subject = new X500Name("CN=" + name);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        return new Ca(keys, b.build(signer(keys)));
    }

    /** A CA valid from a day ago for ten years. */
    public static Ca ca(String name) throws GeneralSecurityException, IOException {
        Instant now = Instant.now();
        return ca(name, now.minusSeconds(86_400), now.plusSeconds(3650L * 86_400));
    }

    /** A leaf for the DNS names, signed by {@code ca}, with a fresh key. */
    public static Leaf leaf(Ca ca, List<String> dnsNames, Instant notBefore, Instant notAfter, KeyType type, KeyFormat format)
            throws GeneralSecurityException, IOException {
        return leaf(ca, dnsNames, notBefore, notAfter, keys(type), format);
    }

    /** A leaf for the DNS names, signed by {@code ca}, for the given key. */
    public static Leaf leaf(Ca ca, List<String> dnsNames, Instant notBefore, Instant notAfter, KeyPair keys, KeyFormat format)
            throws GeneralSecurityException, IOException {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert().getSubject(),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
                new X500Name("CN=" + (dnsNames.isEmpty() ? "no-san" : dnsNames.get(0))), keys.getPublic());
        if (!dnsNames.isEmpty()) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(dnsNames.stream()
                    .map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
        }
        X509CertificateHolder cert = b.build(signer(ca.keys()));
        String chain = TlsSecret.pem("CERTIFICATE", cert.getEncoded()) + ca.certPem();
        return new Leaf(chain, keyPem(keys, format), keys);
    }

    public static String keyPem(KeyPair keys, KeyFormat format) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        if (format == KeyFormat.PKCS8) {
            return TlsSecret.pem("PRIVATE KEY", info.getEncoded());
        }
        if (keys.getPrivate().getAlgorithm().equals("RSA")) {
            return TlsSecret.pem("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
        }
        // SEC1 as openssl and cert-manager write it: with the curve and the public key, which PKCS#8 keeps outside
        org.bouncycastle.asn1.sec.ECPrivateKey inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo spki = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                keys.getPublic().getEncoded());
        return TlsSecret.pem("EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(),
                spki.getPublicKeyData(), info.getPrivateKeyAlgorithm().getParameters()).getEncoded());
    }

    public static KeyPair keys(KeyType type) throws GeneralSecurityException {
        if (type == KeyType.RSA) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static ContentSigner signer(KeyPair keys) throws GeneralSecurityException {
        try {
            return new JcaContentSignerBuilder(keys.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA")
                    .build(keys.getPrivate());
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
