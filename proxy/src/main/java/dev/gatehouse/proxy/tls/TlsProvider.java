package dev.gatehouse.proxy.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

import java.util.Locale;

/**
 * Which TLS implementation the TLS port uses ({@code --tls-provider}). OpenSSL is BoringSSL from
 * netty-tcnative-boringssl-static: measured faster on handshakes and bulk data than the JDK's
 * (docs/tls.md, "Protocols, ciphers and the provider"), so {@link #AUTO} takes it whenever its
 * native library loads on this machine, and the JDK's otherwise.
 */
public enum TlsProvider {
    AUTO, OPENSSL, JDK;

    /** The flag's value, e.g. {@code openssl}. */
    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the value and the choices */
    public static TlsProvider parse(String value) {
        for (TlsProvider p : values()) {
            if (p.flag().equals(value == null ? null : value.strip().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("tlsProvider: '" + value + "' (expected: auto, openssl or jdk)");
    }

    /**
     * The Netty provider to build server contexts with. OpenSSL contexts are reference-counted
     * ({@link SslProvider#OPENSSL_REFCNT}): one is freed when its certificate leaves the snapshot
     * and the last connection using it closes, not at some later garbage collection.
     *
     * @throws IllegalStateException for {@link #OPENSSL} when the native library does not load, with the reason
     */
    public SslProvider resolve() {
        return switch (this) {
            case JDK -> SslProvider.JDK;
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException("--tls-provider openssl: the OpenSSL (BoringSSL) library does not load here: "
                            + OpenSsl.unavailabilityCause() + " (expected: linux-x86_64 with netty-tcnative-boringssl-static;"
                            + " use --tls-provider jdk or auto)");
                }
                yield SslProvider.OPENSSL_REFCNT;
            }
            case AUTO -> OpenSsl.isAvailable() ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK;
        };
    }

    /** How a resolved provider is named in logs and metrics: {@code openssl} or {@code jdk}. */
    public static String describe(SslProvider p) {
        return p == SslProvider.JDK ? "jdk" : "openssl";
    }
}
