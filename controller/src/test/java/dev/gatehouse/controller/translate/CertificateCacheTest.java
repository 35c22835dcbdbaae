package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.Secret;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The memo of parsed Secrets: same content, same result without parsing again; new content, new entry; unused entries go. */
class CertificateCacheTest {
    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

    @Test
    void aSecretIsParsedOncePerContentAndDroppedTwoPassesAfterItsLastUse() throws Exception {
        TestCertificates.Ca ca = TestCertificates.ca("c", NOW.minusSeconds(3600), NOW.plusSeconds(86_400 * 400));
        TestCertificates.Leaf a = TestCertificates.leaf(ca, List.of("a.example.com"), NOW.minusSeconds(60), NOW.plusSeconds(86_400),
                TestCertificates.KeyType.EC, TestCertificates.KeyFormat.TRADITIONAL);
        TestCertificates.Leaf b = TestCertificates.leaf(ca, List.of("a.example.com"), NOW.minusSeconds(60), NOW.plusSeconds(172_800),
                TestCertificates.KeyType.EC, TestCertificates.KeyFormat.PKCS8);
        CertificateCache cache = new CertificateCache();
        Secret first = TlsSecretTest.secret("kubernetes.io/tls", a.chainPem(), a.keyPem());
        TlsSecret parsed = cache.parse(first);
        assertThat(cache.parse(TlsSecretTest.secret("kubernetes.io/tls", a.chainPem(), a.keyPem()))).isSameAs(parsed);
        cache.endPass();
        assertThat(cache.parse(first)).as("kept from the previous pass").isSameAs(parsed);

        Secret rotated = TlsSecretTest.secret("kubernetes.io/tls", b.chainPem(), b.keyPem());
        assertThat(cache.parse(rotated).notAfter()).isEqualTo(NOW.plusSeconds(172_800));
        cache.endPass();
        cache.parse(rotated);
        cache.endPass();
        assertThat(cache.size()).as("the old content, unused for a pass, is gone").isEqualTo(1);

        Secret broken = TlsSecretTest.secret("kubernetes.io/tls", a.chainPem(), b.keyPem());
        assertThatThrownBy(() -> cache.parse(broken)).hasMessageContaining("does not match");
        assertThatThrownBy(() -> cache.parse(broken)).as("a refusal is remembered too").hasMessageContaining("does not match");
    }

    @Test
    void theTranslationIsTheSameWithAndWithoutTheMemoAndExpiryIsCheckedEveryPass() throws Exception {
        TestCertificates.Ca ca = TestCertificates.ca("c", NOW.minusSeconds(3600), NOW.plusSeconds(86_400 * 400));
        TestCertificates.Leaf a = TestCertificates.leaf(ca, List.of("a.example.com"), NOW.minusSeconds(60), NOW.plusSeconds(86_400),
                TestCertificates.KeyType.EC, TestCertificates.KeyFormat.TRADITIONAL);
        Secret s = TlsSecretTest.secret("kubernetes.io/tls", a.chainPem(), a.keyPem());
        CertificateCache cache = new CertificateCache();
        assertThat(TlsSecret.checkValidity(cache.parse(s), NOW).keyPem()).isEqualTo(TlsSecret.read(s, NOW).keyPem());
        assertThatThrownBy(() -> TlsSecret.checkValidity(cache.parse(s), NOW.plusSeconds(86_400)))
                .hasMessageContaining("expired at");
    }
}
