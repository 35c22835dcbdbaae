package dev.gatehouse.proxy;

import dev.gatehouse.config.Certificate;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates made at test time with BouncyCastle: one CA, and leaves it signs for given DNS
 * names and validity, as the {@link Certificate} records a snapshot carries (chain leaf first,
 * PKCS#8 key). EC P-256, so making one takes milliseconds. Clients trust the CA through
 * {@link #clientContext()}.
 */
public final class TestCerts {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final String caName;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    public TestCerts(String name) throws Exception {
        caName = name;
        caKeys = keys();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + name),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=" + name), caKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        ca = sign(b, caKeys);
    }

    public X509Certificate ca() {
        return ca;
    }

    /** A leaf for {@code dnsNames} valid from a day ago for {@code validFor} (negative: expired that long ago). */
    public Leaf leaf(String cn, Duration validFor, String... dnsNames) throws Exception {
        KeyPair keys = keys();
        Instant now = Instant.now();
        Instant notBefore = validFor.isNegative() ? now.plus(validFor).minus(Duration.ofDays(10)) : now.minus(Duration.ofDays(1));
        Instant notAfter = now.plus(validFor);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + caName), BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
                new X500Name("CN=" + cn), keys.getPublic());
        GeneralName[] sans = Arrays.stream(dnsNames).map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        X509Certificate leaf = sign(b, caKeys);
        return new Leaf(cn, leaf, pem("CERTIFICATE", leaf.getEncoded()), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    }

    /** A leaf valid for 30 days. */
    public Leaf leaf(String cn, String... dnsNames) throws Exception {
        return leaf(cn, Duration.ofDays(30), dnsNames);
    }

    private SSLContext client;

    /** A client context trusting this CA only, for TLS 1.2 and 1.3 (made once). */
    public synchronized SSLContext clientContext() throws Exception {
        if (client != null) {
            return client;
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        client = ctx;
        return ctx;
    }

    /** A leaf as PEM, and as the snapshot's record for a Secret. */
    public record Leaf(String cn, X509Certificate cert, String chainPem, String keyPem) {
        /** Served for {@code serverNames} (Route.hosts syntax). */
        public Certificate certificate(String secretId, String... serverNames) {
            return new Certificate(secretId, List.of(serverNames), chainPem, keyPem, cert.getNotAfter().toInstant().getEpochSecond(),
                    false);
        }

        /** The default certificate. */
        public Certificate fallback(String secretId) {
            return new Certificate(secretId, List.of(), chainPem, keyPem, cert.getNotAfter().toInstant().getEpochSecond(), true);
        }
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(issuer.getPrivate())));
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
