package dev.gatehouse.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Test certificates made with the JDK's keytool: a self-signed EC key for localhost and 127.0.0.1, and a trust store holding it. */
final class TestKeystores {
    static final String PASSWORD = "changeit";

    private TestKeystores() {
    }

    static Path selfSigned(Path dir, String alias) throws Exception {
        Path p = dir.resolve(alias + ".p12");
        keytool("-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", alias, "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", p.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        return p;
    }

    static Path trustStore(Path dir, Path keystore, String alias) throws Exception {
        Path crt = dir.resolve(alias + ".crt");
        Path trust = dir.resolve(alias + "-trust.p12");
        keytool("-exportcert", "-alias", alias, "-keystore", keystore.toString(), "-storepass", PASSWORD, "-file", crt.toString());
        keytool("-importcert", "-noprompt", "-alias", alias, "-file", crt.toString(), "-keystore", trust.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        return trust;
    }

    /** A loopback port nobody listens on (bound, then released). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("keytool " + args[0] + ": " + out).isZero();
    }
}
