package dev.gatehouse.controller.channel;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The channel server's certificate and key, read from PEM files at start and re-read every
 * {@value #RELOAD_SECONDS} s: when their bytes change (a rotated Kubernetes Secret, a renewal
 * by cert-manager) new connections get the new certificate; connections already open keep
 * theirs. A change that cannot be loaded (unreadable, a key that does not match the
 * certificate, as when the files are caught half-updated) is logged and the previous pair kept;
 * the next check tries again.
 */
final class ServerTls {
    static final long RELOAD_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    private final Path certFile;
    private final Path keyFile;
    private volatile SslContext context;
    /** SHA-256 of the files last loaded; guarded by this. */
    private byte[] seen;

    private ServerTls(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** Loads both files or throws {@link IllegalArgumentException} naming them and what was expected. */
    static ServerTls load(Path certFile, Path keyFile) {
        ServerTls tls = new ServerTls(certFile, keyFile);
        try {
            byte[] cert = Files.readAllBytes(certFile);
            byte[] key = Files.readAllBytes(keyFile);
            tls.context = tls.build(cert, key);
            tls.seen = digest(cert, key);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("tlsCert, tlsKey: cannot load " + certFile + " and " + keyFile
                    + " (expected: a PEM certificate chain and its private key, PKCS#8, PKCS#1 or SEC1): " + e.getMessage(), e);
        }
        return tls;
    }

    SslContext context() {
        return context;
    }

    /** Re-reads the files; true when a new certificate was loaded. Never throws. */
    synchronized boolean reload() {
        byte[] cert;
        byte[] key;
        try {
            cert = Files.readAllBytes(certFile);
            key = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            LOG.warn("event=channel.tls-reload-failed cert={} key={} error=\"{}\" action=kept-previous", certFile, keyFile,
                    e.toString());
            return false;
        }
        byte[] digest = digest(cert, key);
        if (Arrays.equals(digest, seen)) {
            return false;
        }
        try {
            context = build(cert, key);
            seen = digest;
            return true;
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            // not remembered as seen: a half-updated pair is read again on the next check
            LOG.warn("event=channel.tls-reload-failed cert={} key={} error=\"{}\" action=kept-previous", certFile, keyFile,
                    e.getMessage());
            return false;
        }
    }

    private SslContext build(byte[] certPem, byte[] keyPem) throws GeneralSecurityException, IOException {
        List<X509Certificate> chain = PemFiles.certificates(certPem);
        PrivateKey key = PemFiles.privateKey(keyPem);
        X509Certificate leaf = chain.get(0);
        if (!matches(key, leaf.getPublicKey())) {
            throw new GeneralSecurityException("the key does not belong to the first certificate of " + certFile);
        }
        SslContext built = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new)).build();
        LOG.info("event=channel.tls-loaded cert={} subject=\"{}\" names={} issuer=\"{}\" not-after={}", certFile,
                leaf.getSubjectX500Principal().getName(), names(leaf), leaf.getIssuerX500Principal().getName(),
                leaf.getNotAfter().toInstant());
        return built;
    }

    /** Signs a nonce with the key and verifies it with the certificate's public key. */
    static boolean matches(PrivateKey key, PublicKey publicKey) throws GeneralSecurityException {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "DSA" -> "SHA256withDSA";
            default -> throw new GeneralSecurityException("certificate key algorithm " + publicKey.getAlgorithm()
                    + " (expected: RSA, EC, Ed25519 or DSA)");
        };
        byte[] nonce = "gatehouse-channel-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try {
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(nonce);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(publicKey);
            verify.update(nonce);
            return verify.verify(signature);
        } catch (java.security.InvalidKeyException e) {
            return false; // e.g. an RSA key with an EC certificate
        }
    }

    private static List<String> names(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            if (cert.getSubjectAlternativeNames() != null) {
                for (List<?> san : cert.getSubjectAlternativeNames()) {
                    out.add(String.valueOf(san.get(1)));
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            out.add("unreadable");
        }
        return out;
    }

    private static byte[] digest(byte[] cert, byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(cert);
            sha.update((byte) 0);
            sha.update(key);
            return sha.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
