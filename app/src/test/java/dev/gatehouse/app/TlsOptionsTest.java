package dev.gatehouse.app;

import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The TLS flags on proxy, local and demo: defaults, values, and usage errors that name the flag. */
class TlsOptionsTest {
    private static ProxyOptions parse(String... args) {
        return ProxyFlags.parse(args);
    }


    @Test
    void defaultsAre8443AutoTenSecondsAndTheTlsPortForRedirects() {
        TlsConfig proxy = parse("proxy", "--controller", "ws://c:18000", "--token-file", "t").config().tls();
        assertThat(proxy).isEqualTo(new TlsConfig(true, 8443, TlsProvider.AUTO, Duration.ofSeconds(10), true, 0));
        // local and demo open it only once a snapshot holds a certificate
        assertThat(parse("local", "--dir", "d").localConfig().tls().alwaysOpen()).isFalse();
        assertThat(parse("demo").localConfig().tls().alwaysOpen()).isFalse();
    }

    @Test
    void theFlagsSetTheTlsPort() {
        TlsConfig tls = parse("local", "--dir", "d", "--tls-port", "9443", "--tls-provider", "JDK", "--tls-handshake-timeout", "3s",
                "--https-redirect-port", "443").localConfig().tls();
        assertThat(tls).isEqualTo(new TlsConfig(true, 9443, TlsProvider.JDK, Duration.ofSeconds(3), false, 443));
    }

    @Test
    void badValuesNameTheFlag() {
        assertThatThrownBy(() -> parse("demo", "--tls-provider", "gnutls"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--tls-provider").hasMessageContaining("expected: auto, openssl or jdk");
        assertThatThrownBy(() -> parse("demo", "--tls-port", "70000").localConfig())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageStartingWith("--tls-port: 70000 (expected: 0..65535)");
        assertThatThrownBy(() -> parse("demo", "--tls-handshake-timeout", "0s").localConfig())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageStartingWith("--tls-handshake-timeout:");
    }
}
