package dev.gatehouse.controller.channel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate (by default for 127.0.0.1 and localhost), made with the JDK's {@code keytool}
 * (no extra dependencies), written as PEM: {@code cert.pem} and a PKCS#8 {@code key.pem}.
 */
record SelfSignedPem(Path cert, Path key) {
    private static final char[] PASSWORD = "changeit".toCharArray();

    static SelfSignedPem create(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
        return create(dir, "127.0.0.1", "ip:127.0.0.1,dns:localhost");
    }

    /** A certificate for {@code cn} with the subject alternative names {@code san}, e.g. {@code dns:a.example}. */
    static SelfSignedPem create(Path dir, String cn, String san)
            throws IOException, InterruptedException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path store = dir.resolve("channel.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "channel", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-dname", "CN=" + cn,
                "-ext", "SAN=" + san, "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        Certificate cert = ks.getCertificate("channel");
        Key key = ks.getKey("channel", PASSWORD);
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
        return new SelfSignedPem(certPem, keyPem);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
