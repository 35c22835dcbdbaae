package dev.gatehouse.controller.translate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static dev.gatehouse.controller.translate.TestCertificates.KeyFormat.PKCS8;
import static dev.gatehouse.controller.translate.TestCertificates.KeyFormat.TRADITIONAL;
import static dev.gatehouse.controller.translate.TestCertificates.KeyType.EC;
import static dev.gatehouse.controller.translate.TestCertificates.KeyType.RSA;

/**
 * Writes the certificates the {@code tls-*} golden cases embed, once: golden files need fixed bytes,
 * so they are made here and pasted into the cases' Secrets, and {@link TranslatorGoldenTest} pins the
 * clock at {@link TranslatorGoldenTest#NOW}. Run with {@code -Dgatehouse.regenerateCerts=true}; the PEM
 * files land in {@code target/golden-certs/}. The examples of {@code manifests/examples/tls.yaml} and
 * {@code gateway-api-https.yaml} are made here too.
 */
class GoldenCertificates {
    static final Instant FROM = Instant.parse("2025-01-01T00:00:00Z");
    static final Instant UNTIL = Instant.parse("2125-01-01T00:00:00Z");

    @Test
    @EnabledIfSystemProperty(named = "gatehouse.regenerateCerts", matches = "true")
    void write() throws Exception {
        Path dir = Files.createDirectories(Path.of("target/golden-certs"));
        TestCertificates.Ca ca = TestCertificates.ca("Gatehouse golden CA", FROM, UNTIL);
        write(dir, "api", TestCertificates.leaf(ca, List.of("api.example.com", "www.example.com"), FROM, UNTIL, RSA, TRADITIONAL));
        write(dir, "wild", TestCertificates.leaf(ca, List.of("*.example.com"), FROM, UNTIL, EC, TRADITIONAL));
        write(dir, "default", TestCertificates.leaf(ca, List.of("gatehouse.local"), FROM, UNTIL, EC, PKCS8));
        write(dir, "expired", TestCertificates.leaf(ca, List.of("old.example.com"), FROM,
                Instant.parse("2026-01-01T00:00:00Z"), EC, PKCS8));
        write(dir, "expiring", TestCertificates.leaf(ca, List.of("soon.example.com"), FROM,
                Instant.parse("2026-06-10T00:00:00Z"), EC, PKCS8));
        write(dir, "future", TestCertificates.leaf(ca, List.of("new.example.com"), Instant.parse("2027-01-01T00:00:00Z"),
                UNTIL, EC, PKCS8));
        // manifests/examples/tls.yaml (RSA, PKCS#1 as cert-manager writes it)
        write(dir, "example", TestCertificates.leaf(TestCertificates.ca("Gatehouse example CA (not for production)", FROM, UNTIL),
                List.of("secure.example.com"), FROM, UNTIL, RSA, TRADITIONAL));
        // manifests/examples/gateway-api-https.yaml (EC, SEC1 as openssl writes it)
        write(dir, "example-gateway", TestCertificates.leaf(TestCertificates.ca("Gatehouse example CA (not for production)",
                FROM, UNTIL), List.of("shop.example.com"), FROM, UNTIL, EC, TRADITIONAL));
        write(dir, "secure", TestCertificates.leaf(ca, List.of("secure.example.com", "*.shop.example.com"), FROM, UNTIL, EC, PKCS8));
    }

    private static void write(Path dir, String name, TestCertificates.Leaf leaf) throws Exception {
        Files.writeString(dir.resolve(name + ".crt"), leaf.chainPem());
        Files.writeString(dir.resolve(name + ".key"), leaf.keyPem());
    }
}
