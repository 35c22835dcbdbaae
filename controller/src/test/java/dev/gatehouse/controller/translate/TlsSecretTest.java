package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static dev.gatehouse.controller.translate.TestCertificates.KeyFormat.PKCS8;
import static dev.gatehouse.controller.translate.TestCertificates.KeyFormat.TRADITIONAL;
import static dev.gatehouse.controller.translate.TestCertificates.KeyType.EC;
import static dev.gatehouse.controller.translate.TestCertificates.KeyType.RSA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading kubernetes.io/tls Secrets: every key form a user's tools write, and every refusal, never quoting the key. */
class TlsSecretTest {
    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    static TestCertificates.Ca ca;

    @BeforeAll
    static void ca() throws Exception {
        ca = TestCertificates.ca("test CA", NOW.minusSeconds(86_400), NOW.plusSeconds(86_400 * 365));
    }

    static TestCertificates.Leaf leaf(TestCertificates.KeyType type, TestCertificates.KeyFormat format) throws Exception {
        return TestCertificates.leaf(ca, List.of("a.example.com", "*.b.example.com"), NOW.minusSeconds(60),
                NOW.plusSeconds(86_400 * 30), type, format);
    }

    static Secret secret(String type, String crt, String key) {
        SecretBuilder b = new SecretBuilder().withNewMetadata().withName("s").withNamespace("default").endMetadata().withType(type);
        if (crt != null) {
            b.addToData("tls.crt", Base64.getEncoder().encodeToString(crt.getBytes(StandardCharsets.UTF_8)));
        }
        if (key != null) {
            b.addToData("tls.key", Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)));
        }
        return b.build();
    }

    @Test
    void everyKeyFormIsReadAndBecomesPkcs8() throws Exception {
        for (TestCertificates.KeyType type : TestCertificates.KeyType.values()) {
            for (TestCertificates.KeyFormat format : TestCertificates.KeyFormat.values()) {
                TestCertificates.Leaf leaf = leaf(type, format);
                TlsSecret tls = TlsSecret.read(secret("kubernetes.io/tls", leaf.chainPem(), leaf.keyPem()), NOW);
                assertThat(tls.keyPem()).as(type + " " + format).startsWith("-----BEGIN PRIVATE KEY-----\n");
                assertThat(samePrivateKey(tls.keyPem(), leaf.keys().getPrivate())).as(type + " " + format).isTrue();
                assertThat(tls.chainPem()).isEqualTo(leaf.chainPem()); // leaf, then CA, as given
                assertThat(tls.dnsNames()).containsExactly("a.example.com", "*.b.example.com");
                assertThat(tls.toString()).doesNotContain("PRIVATE KEY").contains("redacted");
            }
        }
    }

    @Test
    void stringDataIsReadAsLocalFilesHoldIt() throws Exception {
        TestCertificates.Leaf leaf = leaf(RSA, TRADITIONAL);
        Secret s = new SecretBuilder().withNewMetadata().withName("s").endMetadata().withType("kubernetes.io/tls")
                .addToStringData("tls.crt", leaf.chainPem()).addToStringData("tls.key", leaf.keyPem()).build();
        assertThat(TlsSecret.read(s, NOW).notAfter()).isEqualTo(NOW.plusSeconds(86_400 * 30));
    }

    @Test
    void refusalsSayWhatToFixAndNeverQuoteTheKey() throws Exception {
        TestCertificates.Leaf leaf = leaf(EC, TRADITIONAL);
        TestCertificates.Leaf other = leaf(EC, PKCS8);
        assertRefused(secret("Opaque", leaf.chainPem(), leaf.keyPem()), "has type \"Opaque\"", leaf);
        assertRefused(secret("kubernetes.io/tls", leaf.chainPem(), null), "has no \"tls.key\"", leaf);
        assertRefused(secret("kubernetes.io/tls", null, leaf.keyPem()), "has no \"tls.crt\"", leaf);
        assertRefused(secret("kubernetes.io/tls", "garbage", leaf.keyPem()), "tls.crt holds no PEM certificate", leaf);
        assertRefused(secret("kubernetes.io/tls", leaf.keyPem(), leaf.keyPem()), "tls.crt holds a", leaf);
        assertRefused(secret("kubernetes.io/tls", leaf.chainPem(), "garbage"), "tls.key is not a readable PEM private key", leaf);
        assertRefused(secret("kubernetes.io/tls", leaf.chainPem(), other.keyPem()), "tls.key does not match", leaf);
        TestCertificates.Leaf rsa = leaf(RSA, PKCS8);
        assertRefused(secret("kubernetes.io/tls", leaf.chainPem(), rsa.keyPem()), "tls.key does not match", rsa);
        TestCertificates.Leaf expired = TestCertificates.leaf(ca, List.of("a.example.com"), NOW.minusSeconds(7200),
                NOW.minusSeconds(1), EC, PKCS8);
        assertRefused(secret("kubernetes.io/tls", expired.chainPem(), expired.keyPem()), "expired at", expired);
        TestCertificates.Leaf future = TestCertificates.leaf(ca, List.of("a.example.com"), NOW.plusSeconds(3600),
                NOW.plusSeconds(86_400 * 30), EC, PKCS8);
        assertRefused(secret("kubernetes.io/tls", future.chainPem(), future.keyPem()),
                "the certificate in tls.crt is not valid before " + NOW.plusSeconds(3600) + " (its notBefore)", future);
    }

    /** Valid from the very instant of its notBefore, as X.509 says (RFC 5280 §4.1.2.5); expired at its notAfter. */
    @Test
    void theValidityPeriodIncludesNotBefore() throws Exception {
        TestCertificates.Leaf leaf = TestCertificates.leaf(ca, List.of("a.example.com"), NOW, NOW.plusSeconds(3600), EC, PKCS8);
        Secret s = secret("kubernetes.io/tls", leaf.chainPem(), leaf.keyPem());
        assertThat(TlsSecret.read(s, NOW).notBefore()).isEqualTo(NOW);
        assertThatThrownBy(() -> TlsSecret.read(s, NOW.minusSeconds(1))).hasMessageContaining("not valid before");
        assertThatThrownBy(() -> TlsSecret.read(s, NOW.plusSeconds(3600))).hasMessageContaining("expired at");
    }

    /** What the proxy does with the PEM: the JDK loads it as PKCS#8, and it is the same key. */
    private static boolean samePrivateKey(String pkcs8Pem, java.security.PrivateKey original) throws Exception {
        String body = pkcs8Pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replace("\n", "");
        java.security.PrivateKey k = java.security.KeyFactory.getInstance(original.getAlgorithm())
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        if (k instanceof java.security.interfaces.ECPrivateKey ec) {
            return ec.getS().equals(((java.security.interfaces.ECPrivateKey) original).getS());
        }
        return ((java.security.interfaces.RSAPrivateKey) k).getPrivateExponent()
                .equals(((java.security.interfaces.RSAPrivateKey) original).getPrivateExponent());
    }

    private static void assertRefused(Secret s, String message, TestCertificates.Leaf leaf) {
        String keyBody = leaf.keyPem().split("\n")[1];
        assertThatThrownBy(() -> TlsSecret.read(s, NOW)).isInstanceOf(TlsSecret.Refused.class)
                .hasMessageContaining(message).hasMessageContaining("fix:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(keyBody));
    }
}
