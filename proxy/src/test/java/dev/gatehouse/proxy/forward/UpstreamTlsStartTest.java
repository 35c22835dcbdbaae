package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.Fixtures;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The upstreams' client TLS contexts ({@link UpstreamTls}) are made aside, once a snapshot has an
 * https or grpcs service, once: a proxy of plain-HTTP services never reads the trust store.
 */
class UpstreamTlsStartTest {
    @Test
    void madeOnceASnapshotHasAnHttpsOrGrpcsServiceAndOnlyOnce() {
        List<Runnable> aside = new ArrayList<>();
        UpstreamTls tls = UpstreamTls.aside(aside::add);
        tls.startFor(List.of(service(Service.Protocol.HTTP), service(Service.Protocol.H2C), service(Service.Protocol.GRPC)));
        assertThat(aside).as("no https or grpcs service: nothing made").isEmpty();
        assertThat(tls.started()).isFalse();

        tls.startFor(List.of(service(Service.Protocol.HTTP), service(Service.Protocol.HTTPS)));
        assertThat(aside).as("made on the executor, not on the applying thread").hasSize(1);
        tls.startFor(List.of(service(Service.Protocol.GRPCS)));
        assertThat(aside).as("made once").hasSize(1);

        aside.get(0).run();
        SslContext http1 = tls.http1();
        SslContext h2 = tls.h2();
        assertThat(http1.isClient()).isTrue();
        assertThat(http1.applicationProtocolNegotiator().protocols()).as("https: no ALPN").isEmpty();
        assertThat(h2.isClient()).isTrue();
        assertThat(h2.applicationProtocolNegotiator().protocols()).as("grpcs: h2 alone").containsExactly("h2");
        assertThat(tls.http1()).as("the same context for every connect").isSameAs(http1);
    }

    @Test
    void aConnectBeforeAnySnapshotAskedForThemMakesThemAndWaits() {
        AtomicReference<String> madeOn = new AtomicReference<>();
        UpstreamTls tls = UpstreamTls.aside(task -> new Thread(() -> {
            madeOn.set(Thread.currentThread().getName());
            task.run();
        }, "aside-test").start());
        assertThat(tls.started()).isFalse();
        assertThat(tls.h2().applicationProtocolNegotiator().protocols()).containsExactly("h2");
        assertThat(tls.started()).isTrue();
        assertThat(madeOn.get()).isEqualTo("aside-test");
    }

    @Test
    void contextsThatCannotBeMadeFailEveryTlsConnectWithTheCause(@TempDir Path dir) throws Exception {
        Path garbage = Files.writeString(dir.resolve("trust.p12"), "not a key store");
        String before = System.getProperty("javax.net.ssl.trustStore");
        System.setProperty("javax.net.ssl.trustStore", garbage.toString());
        try {
            UpstreamTls tls = UpstreamTls.aside(Runnable::run);
            tls.startFor(List.of(service(Service.Protocol.HTTPS)));
            assertThatThrownBy(tls::http1).isInstanceOf(CompletionException.class)
                    .hasRootCauseInstanceOf(java.io.IOException.class); // the key store's, as read
            assertThatThrownBy(tls::h2).isInstanceOf(CompletionException.class);
        } finally {
            if (before == null) {
                System.clearProperty("javax.net.ssl.trustStore");
            } else {
                System.setProperty("javax.net.ssl.trustStore", before);
            }
        }
    }

    private static Service service(Service.Protocol protocol) {
        String id = "default/" + protocol.name().toLowerCase(java.util.Locale.ROOT);
        return new Service(id, Fixtures.source("GatewayService", id), id, protocol, "/", null, 5, Service.Timeouts.DEFAULT);
    }
}
