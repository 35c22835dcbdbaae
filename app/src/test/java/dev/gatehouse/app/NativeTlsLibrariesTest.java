package dev.gatehouse.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar of the image carries BoringSSL for both platforms the release builds (linux/amd64 and
 * linux/arm64), so the proxy's TLS port uses OpenSSL on either (tlsProvider auto).
 */
class NativeTlsLibrariesTest {

    @Test
    void boringSslForAmd64AndArm64IsOnTheRuntimeClasspath() {
        for (String lib : new String[] {"libnetty_tcnative_linux_x86_64.so", "libnetty_tcnative_linux_aarch_64.so"}) {
            assertThat(NativeTlsLibrariesTest.class.getResource("/META-INF/native/" + lib)).as(lib).isNotNull();
        }
    }
}
