package dev.gatehouse.proxy;

import org.junit.jupiter.api.BeforeAll;

/**
 * {@link ProxyTestBase} for tests over the TLS port: a CA made once per test class, a leaf it
 * signs (CN {@code api}, for {@code api.example.com} and {@code www.example.com}), and raw TLS
 * clients that trust that CA and nothing else, closed after each test with the proxy and the
 * backends. A test needing other leaves signs them with {@link #ca} in its own {@code @BeforeAll}
 * (JUnit runs this class's first).
 */
abstract class TlsTestBase extends ProxyTestBase {
    /** The test class's CA; made again for each test class. */
    protected static TestCerts ca;
    /** CN {@code api}, for {@code api.example.com} and {@code www.example.com}. */
    protected static TestCerts.Leaf leaf;

    @BeforeAll
    static void caAndLeaf() throws Exception {
        ca = new TestCerts("test-ca");
        leaf = ca.leaf("api", "api.example.com", "www.example.com");
    }

    /**
     * A raw HTTP/1.1 client on the proxy's TLS port, SNI {@code sni} (null: none), trusting {@link #ca};
     * closed after the test.
     */
    protected TestClient tls(String sni) throws Exception {
        TestClient c = new TestClient(TlsClient.connect(ca.clientContext(), proxy.tlsPort(), sni));
        closeables.add(c);
        return c;
    }
}
