package dev.gatehouse.controller.channel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway CA and a server certificate it signed, made with the JDK's {@code keytool} (no
 * extra dependency): {@code ca.crt}, {@code tls.crt} and a PKCS#8 {@code tls.key}, as in the
 * channel's TLS Secret. EC P-256 keys, valid for two days. Shared with the e2e tests (test-jar).
 */
public record TestCa(Path caCert, Path cert, Path key) {
    private static final String PASSWORD = "changeit";

    /** A CA named {@code name} and a certificate for {@code san} (keytool syntax, e.g. {@code dns:localhost,ip:127.0.0.1}). */
    public static TestCa create(Path dir, String name, String san) throws IOException, InterruptedException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path leaf = dir.resolve("leaf.p12");
        Path csr = dir.resolve("leaf.csr");
        Path crt = dir.resolve("tls.crt");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=channel",
                "-validity", "2", "-keystore", leaf.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", "leaf", "-keystore", leaf.toString(), "-storepass", PASSWORD, "-file", csr.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
                "-outfile", crt.toString(), "-rfc", "-validity", "2", "-ext", "SAN=" + san, "-ext", "EKU=serverAuth");
        Path caCrt = dir.resolve("ca.crt");
        Path key = dir.resolve("tls.key");
        Files.writeString(caCrt, pem("CERTIFICATE", load(ca).getCertificate("ca").getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", load(leaf).getKey("leaf", PASSWORD.toCharArray()).getEncoded()));
        return new TestCa(caCrt, crt, key);
    }

    /** Only a CA certificate ({@code ca.crt}, the other paths null): what a proxy pinned to another CA holds. */
    public static TestCa caOnly(Path dir, String name) throws IOException, InterruptedException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path caCrt = dir.resolve("ca.crt");
        Files.writeString(caCrt, pem("CERTIFICATE", load(ca).getCertificate("ca").getEncoded()));
        return new TestCa(caCrt, null, null);
    }

    private static KeyStore load(Path store) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + out);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
