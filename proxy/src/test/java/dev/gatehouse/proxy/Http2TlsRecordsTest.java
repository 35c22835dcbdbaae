package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How HTTP/2 responses leave over TLS, counted in TLS records on the client's socket (read before
 * the client decrypts them): streams whose responses the proxy completes in one event-loop turn
 * share one flush of the connection, so their frames go out in one record, not one record and
 * one {@code write} per stream; the bytes decrypted are each stream's own response, as before.
 */
class Http2TlsRecordsTest extends TlsTestBase {
    private static final int STREAMS = 8;
    /** Counts the TLS records of type application_data (23) arriving on a socket, across reads. */
    private static final class RecordCounter extends ChannelInboundHandlerAdapter {
        final AtomicInteger applicationData = new AtomicInteger();
        private final byte[] header = new byte[5];
        private int headerFill;
        private int payloadLeft;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            for (int i = buf.readerIndex(); i < buf.writerIndex(); ) {
                if (payloadLeft > 0) {
                    int n = Math.min(payloadLeft, buf.writerIndex() - i);
                    payloadLeft -= n;
                    i += n;
                    continue;
                }
                header[headerFill++] = buf.getByte(i++);
                if (headerFill == header.length) {
                    headerFill = 0;
                    payloadLeft = (header[3] & 0xff) << 8 | (header[4] & 0xff);
                    if (header[0] == 23) {
                        applicationData.incrementAndGet();
                    }
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static SslContext h2Client() throws Exception {
        return SslContextBuilder.forClient().trustManager(ca.ca())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
    }

    @Test
    void responsesCompletedInOneTurnShareOneTlsRecord() throws Exception {
        H2cBackend backend = new H2cBackend("b1", 0);
        closeables.add(backend);
        backend.togetherUntil = STREAMS;
        proxy = ProxyServer.start(Fixtures.config().withTls(TlsConfig.on(0)), new SimpleMeterRegistry());
        Service svc = new Service("default/h2", Fixtures.source("GatewayService", "default/h2"), "default/up",
                Service.Protocol.H2C, "/", null, 5, new Service.Timeouts(2_000, 10_000, 10_000));
        assertThat(proxy.apply(new Snapshot(1, List.of(svc), List.of(route("default/r", "default/h2").paths("/").build()),
                List.of(upstream("default/up", backend.port())), List.of(),
                List.of(leaf.certificate("default/api-tls", "api.example.com"))))).isEmpty();

        try (H2Client c = new H2Client(proxy.tlsPort(), Http2Settings.defaultSettings(), h2Client(), "api.example.com")) {
            // the proxy's upstream HTTP/2 connection opens with this one; the settings exchanges are over
            assertThat(c.exchange(H2Client.headers("GET", "/first", "api.example.com"), null).text()).isEqualTo("b1 GET /first");
            RecordCounter records = new RecordCounter();
            c.channel().eventLoop().submit(() -> c.channel().pipeline().addFirst("records", records)).get(10, TimeUnit.SECONDS);

            // the target answers all streams in one write: the proxy completes them in one read of its upstream connection
            List<CompletableFuture<H2Client.Response>> answers = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                answers.add(c.send(H2Client.headers("GET", "/together/" + i, "api.example.com"), null));
            }
            for (int i = 0; i < STREAMS; i++) {
                H2Client.Response r = answers.get(i).get(10, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("x-backend")).isEqualTo("b1");
                assertThat(r.text()).isEqualTo("b1 GET /together/" + i);
            }
            assertThat(records.applicationData.get())
                    .as("TLS records carrying %d streams' responses (without the connection's flush consolidation: two per stream)",
                            STREAMS)
                    .isEqualTo(1);
        }
        assertThat(backend.seen).hasSize(STREAMS + 1);
    }
}
