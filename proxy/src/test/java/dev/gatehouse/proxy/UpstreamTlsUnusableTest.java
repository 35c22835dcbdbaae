package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client TLS contexts that cannot be made (a trust store that is not one): the https service's
 * requests are answered 502 and reach no target; the plain-HTTP services are served as before.
 */
class UpstreamTlsUnusableTest extends OneProxy {
    @AfterEach
    void trustBack() {
        System.clearProperty("javax.net.ssl.trustStore");
    }

    @Test
    void anHttpsServiceIs502AndPlainServicesAreServed(@TempDir Path dir) throws Exception {
        Backend plain = stopAfter(new Backend("plain"));
        RawBackend tlsTarget = rawBackend(); // would see a ClientHello if anything were sent
        System.setProperty("javax.net.ssl.trustStore", Files.writeString(dir.resolve("trust.p12"), "not a key store").toString());
        proxy = ProxyServer.start(Fixtures.config());
        Service https = new Service("default/tls", Fixtures.source("GatewayService", "default/tls"), "default/tls",
                Service.Protocol.HTTPS, "/", null, 5, Service.Timeouts.DEFAULT);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(https, service("default/plain", "default/plain")),
                List.of(route("default/tls", "default/tls").paths("/tls").build(),
                        route("default/plain", "default/plain").paths("/plain").build()),
                List.of(upstream("default/tls", tlsTarget.port()), upstream("default/plain", plain.port())), List.of())))
                .isEmpty();

        assertThat(TestClient.get(proxy.port(), "/tls").status()).isEqualTo(502);
        assertThat(TestClient.get(proxy.port(), "/plain").status()).isEqualTo(200);
        assertThat(tlsTarget.connections()).as("no connection to the https target").isZero();
    }
}
