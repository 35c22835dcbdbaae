package dev.gatehouse.e2e;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;

/**
 * One HTTP/1.1 GET over TLS to a loopback port, as the upstream suite's
 * {@code MakeTLSRequestAndExpectEventuallyConsistentResponse} sends it: the SNI name and the Host
 * header are the request's host, the server's certificate must chain to the given CA and cover that
 * host (endpoint identification on), so an answer proves which certificate was served as well.
 */
final class TlsGet {
    private final javax.net.ssl.TrustManager[] trust;

    /** @param caPem the one CA the client trusts, PEM */
    TlsGet(String caPem) {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            this.trust = tmf.getTrustManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the test CA cannot be trusted: " + e, e);
        }
    }

    /**
     * The answer; an {@link UncheckedIOException} when the handshake fails (no certificate, or one not
     * for the host). A fresh client context each time: no session is resumed, every request gets the
     * certificate its own SNI name selects.
     */
    RawGet.Answer get(int port, String host, String path) {
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(null, trust, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            return RawGet.over(s, host, path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
