package dev.gatehouse.proxy.tls;

import dev.gatehouse.config.Certificate;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * The TLS policy of the TLS port, in one place (docs/tls.md, "Protocols, ciphers and the
 * provider"): TLS 1.3 and 1.2 only; for TLS 1.2 the ECDHE suites with AES-GCM or ChaCha20-Poly1305
 * of Mozilla's "intermediate" configuration (v5.7), without its DHE ones; the server's order
 * wins; ALPN offers {@code h2} and {@code http/1.1}, or {@code http/1.1} alone with HTTP/2 off.
 */
final class TlsContexts {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** Server preference order. TLS 1.3 suites first (BoringSSL always enables its three and ignores the list for them). */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    /**
     * ALPN: {@code h2} first, then {@code http/1.1} (RFC 7301: the server picks by its order); a
     * client that offers neither, or no ALPN at all, gets HTTP/1.1.
     */
    static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2,
            ApplicationProtocolNames.HTTP_1_1);
    /** ALPN with HTTP/2 off ({@code --no-http2}): a client offering {@code h2} and {@code http/1.1} gets the latter. */
    static final ApplicationProtocolConfig ALPN_HTTP_1_1 = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN, ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_1_1);
    /** Base64 runs long enough to be key or certificate material: never quoted in a message. */
    private static final Pattern BASE64_RUN = Pattern.compile("[A-Za-z0-9+/=]{40,}");

    private TlsContexts() {
    }

    /** The server context of one certificate; {@code http2} puts {@code h2} in its ALPN list. */
    static SslContext server(Certificate c, SslProvider provider, boolean http2) throws SSLException {
        Objects.requireNonNull(c.chainPem(), "chainPem");
        Objects.requireNonNull(c.keyPem(), "keyPem");
        return SslContextBuilder.forServer(
                        new ByteArrayInputStream(c.chainPem().getBytes(StandardCharsets.US_ASCII)),
                        new ByteArrayInputStream(c.keyPem().getBytes(StandardCharsets.US_ASCII)))
                .sslProvider(provider)
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(http2 ? ALPN : ALPN_HTTP_1_1)
                .build();
    }

    /** A failure as class names and messages, with anything that looks like key material cut out. */
    static String describe(Throwable failure) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = failure; t != null && b.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
            if (b.length() > 0) {
                b.append(" <- ");
            }
            b.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                b.append(": ").append(BASE64_RUN.matcher(t.getMessage().replaceAll("\\s+", " ")).replaceAll("[…]"));
            }
        }
        return b.toString();
    }
}
