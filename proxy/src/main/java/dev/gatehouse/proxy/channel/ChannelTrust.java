package dev.gatehouse.proxy.channel;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;

/**
 * What a proxy trusts on {@code wss://}: only the pinned CA certificates of
 * {@link ChannelClientConfig#caFile()} (never the JDK's trust store), and only for the
 * controller URI's host name (RFC 6125 checks, Java's {@code HTTPS} endpoint identification).
 *
 * <p>The CA file is re-read at every connection attempt (a small local file; attempts come at
 * most every 100 ms): after a CA rotation the proxy trusts the new CA on its next attempt, with
 * no restart. A changed file that holds no certificate is logged and the previous CA kept.
 * Confined to the client's event loop.
 */
final class ChannelTrust {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelTrust.class);

    private final ChannelClientConfig config;
    private SslContext context;
    private byte[] pem;

    private ChannelTrust(ChannelClientConfig config) {
        this.config = config;
    }

    /** Null for {@code ws://}; throws {@link IllegalArgumentException} naming caFile when it cannot be used. */
    static ChannelTrust of(ChannelClientConfig config) {
        if (!config.tls()) {
            return null;
        }
        ChannelTrust trust = new ChannelTrust(config);
        if (config.insecureSkipVerify()) {
            trust.context = build(null);
            return trust;
        }
        try {
            trust.pem = Files.readAllBytes(config.caFile());
            trust.context = build(certificates(trust.pem));
        } catch (IOException | CertificateException | IllegalArgumentException e) {
            throw new IllegalArgumentException("caFile: cannot load " + config.caFile()
                    + " (expected: PEM CA certificates, e.g. ca.crt of the channel's TLS Secret): " + e.getMessage(), e);
        }
        return trust;
    }

    /** The context for the next connection, the CA file re-read first. */
    SslContext current() {
        if (config.insecureSkipVerify()) {
            return context;
        }
        byte[] now;
        try {
            now = Files.readAllBytes(config.caFile());
        } catch (IOException e) {
            LOG.warn("event=channel.ca-reload-failed ca-file={} error=\"{}\" action=kept-previous", config.caFile(), e.toString());
            return context;
        }
        if (Arrays.equals(now, pem)) {
            return context;
        }
        try {
            context = build(certificates(now));
            LOG.info("event=channel.ca-reloaded ca-file={}", config.caFile());
        } catch (CertificateException | IllegalArgumentException e) {
            LOG.warn("event=channel.ca-reload-failed ca-file={} error=\"{}\" action=kept-previous", config.caFile(),
                    e.getMessage());
        }
        pem = now; // a bad file is reported once, not at every attempt
        return context;
    }

    /** How the proxy checks the controller, for the start log line. */
    String mode() {
        return config.insecureSkipVerify() ? "insecure-skip-verify" : "pinned-ca";
    }

    private static X509Certificate[] certificates(byte[] pem) throws CertificateException {
        Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem));
        if (all.isEmpty()) {
            throw new CertificateException("no certificate (expected: at least one -----BEGIN CERTIFICATE----- block)");
        }
        return all.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
    }

    private static SslContext build(X509Certificate[] cas) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (cas == null) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                b.trustManager(cas).endpointIdentificationAlgorithm("HTTPS");
            }
            return b.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
