package dev.gatehouse.proxy;

import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP/1.1 connection limits as they apply to HTTP/2: the client idle timeout resets a
 * stream whose body stopped coming and closes a connection without streams (GOAWAY first); the
 * request cap ends the connection with GOAWAY after its last stream, which is served.
 */
class Http2ConnectionLimitsTest {
    private static ProxyServer proxy(Backend backend, ClientLimits limits) {
        ProxyServer proxy = ProxyServer.start(Fixtures.config().withLimits(limits));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())),
                List.of()))).isEmpty();
        return proxy;
    }

    @Test
    void idleStreamIsResetAndIdleConnectionIsClosedWithGoAway() throws Exception {
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, ClientLimits.DEFAULTS.withIdleTimeout(Duration.ofSeconds(1)));
             H2Client c = new H2Client(proxy.port())) {
            H2Client.Stream stalled = c.open();
            stalled.channel.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                    H2Client.headers("POST", "/stalled", "a").add("content-length", "10"), false));
            H2Client.Response r = stalled.response.get(10, TimeUnit.SECONDS);
            assertThat(r.resetError()).isEqualTo(Http2Error.CANCEL.code());
            H2Client.GoAway goAway = c.goAways.poll(10, TimeUnit.SECONDS);
            assertThat(goAway).as("the connection, left without streams, goes away").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.NO_ERROR.code());
            assertThat(c.channel().closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Every DATA frame is activity: a body that keeps coming, however slowly in all, is never idle. */
    @Test
    void aStreamWhoseBodyKeepsComingOutlastsTheIdleTimeout() throws Exception {
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, ClientLimits.DEFAULTS.withIdleTimeout(Duration.ofSeconds(2)));
             H2Client c = new H2Client(proxy.port())) {
            H2Client.Stream steady = c.open();
            steady.channel.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                    H2Client.headers("POST", "/steady", "a").add("content-length", "12"), false));
            for (int i = 0; i < 12; i++) {
                // pacing, not waiting: 3 s of body in all, never 2 s silent, with 1.75 s to spare for a
                // loaded machine that wakes this thread late
                Thread.sleep(250);
                steady.data(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {'x'}), i == 11);
            }
            H2Client.Response r = steady.response.get(10, TimeUnit.SECONDS);
            assertThat(r.resetError()).isNull();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("POST /steady");
            assertThat(backend.seen).extracting(Backend.Seen::bodyBytes).containsExactly(12L);
        }
    }

    @Test
    void theLastRequestOfAConnectionIsServedThenGoAway() throws Exception {
        try (Backend backend = new Backend("b");
             ProxyServer proxy = proxy(backend, ClientLimits.DEFAULTS.withMaxRequestsPerConnection(3));
             H2Client c = new H2Client(proxy.port())) {
            for (int i = 1; i <= 3; i++) {
                assertThat(c.exchange(H2Client.headers("GET", "/r" + i, "a"), null).status()).isEqualTo(200);
            }
            H2Client.GoAway goAway = c.goAways.poll(10, TimeUnit.SECONDS);
            assertThat(goAway).isNotNull();
            assertThat(goAway.lastStreamId()).as("the third stream (Netty's client starts at 3)").isEqualTo(7);
            assertThat(goAway.errorCode()).isEqualTo(Http2Error.NO_ERROR.code());
        }
    }
}
