import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The TLS port alone, for bench/tls-provider.sh: a proxy with one event loop, the given provider,
 * a self-signed P-256 certificate as the fallback and no route, so every request is answered by
 * the proxy itself (404) and what is measured is TLS and HTTP/1.1 parsing, not a backend.
 * Prints "ready PORT" and serves until its standard input closes.
 *
 *   java -cp CLASSPATH bench/TlsProviderBench.java openssl|jdk
 */
public class TlsProviderBench {
    public static void main(String[] args) throws Exception {
        TlsProvider provider = TlsProvider.parse(args[0]);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=bench"), BigInteger.ONE, Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(7))), new X500Name("CN=bench"), keys.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, "bench.test")));
        var cert = new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(keys.getPrivate())));
        Certificate c = new Certificate("bench/tls", List.of("bench.test"), pem("CERTIFICATE", cert.getEncoded()),
                pem("PRIVATE KEY", keys.getPrivate().getEncoded()), cert.getNotAfter().toInstant().getEpochSecond(), true);
        ProxyConfig config = new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(1))
                .withTls(TlsConfig.on(0).withProvider(provider));
        try (ProxyServer proxy = ProxyServer.start(config)) {
            proxy.apply(new Snapshot(1, List.of(), List.of(), List.of(), List.of(), List.of(c)));
            System.out.println("ready " + proxy.tlsPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the script closes our input
            }
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
