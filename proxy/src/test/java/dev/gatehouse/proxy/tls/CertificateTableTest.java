package dev.gatehouse.proxy.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lookup rules of {@link CertificateTable} (docs/tls.md, "SNI: which certificate a client
 * gets") where a wildcard's suffix length decides whether a suffix is looked up at all: a suffix
 * of the same length as a wildcard's but other text, names longer and shorter than every
 * wildcard, an address sent as SNI, no wildcard at all. {@code TlsSniTest} checks the same rules
 * over real handshakes.
 */
class CertificateTableTest {
    private static SslContext context() throws Exception {
        return SslContextBuilder.forClient().sslProvider(SslProvider.JDK).build(); // any distinct instance
    }

    @Test
    void wildcardsByTheLengthOfTheirSuffix() throws Exception {
        SslContext exact = context();
        SslContext anyDepth = context();
        SslContext oneLabel = context();
        SslContext other = context();
        SslContext fallback = context();
        CertificateTable.Builder b = new CertificateTable.Builder();
        b.add("api.example.com", exact);
        b.add("*.example.com", anyDepth);
        b.add("+.apps.example.com", oneLabel);
        b.add("*.example.org", other); // the same suffix length as example.com
        b.fallback(fallback);
        CertificateTable t = b.build();
        Map<String, SslContext> want = new LinkedHashMap<>();
        want.put("api.example.com", exact);
        want.put("API.example.com.", exact);
        want.put("x.example.com", anyDepth);
        want.put("a.b.c.example.com", anyDepth);
        want.put("x.apps.example.com", oneLabel);
        want.put("a.b.apps.example.com", anyDepth);
        want.put("x.example.org", other);
        want.put("x.example.net", fallback);        // the length of example.com, other text
        want.put("example.com", fallback);          // the wildcard's suffix alone is not covered
        want.put("x.y", fallback);                  // shorter than every suffix
        want.put("127.0.0.1", fallback);            // an address sent as SNI
        want.put("x.apps.example.com.evil.test", fallback);
        Map<String, SslContext> got = new LinkedHashMap<>();
        want.keySet().forEach(name -> got.put(name, t.select(name)));
        assertThat(got).isEqualTo(want);
        assertThat(t.select(null)).isSameAs(fallback);
    }

    @Test
    void exactNamesOnly() throws Exception {
        SslContext exact = context();
        CertificateTable.Builder b = new CertificateTable.Builder();
        b.add("api.example.com", exact);
        CertificateTable t = b.build();
        assertThat(t.select("api.example.com")).isSameAs(exact);
        assertThat(t.select("x.api.example.com")).isNull();
        assertThat(t.select("127.0.0.1")).isNull();
        assertThat(t.select(null)).isNull();
    }
}
