package dev.gatehouse.proxy;

import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drain on HTTP/2 connections: a {@code GOAWAY NO_ERROR} notice (last stream 2^31-1), then
 * the final one naming the last stream taken; the stream in flight finishes with its whole
 * response; the connection closes once quiet, and the drain ends without cutting anything.
 */
class Http2DrainTest {
    @Test
    void drainSendsGoAwayLetsTheStreamFinishThenCloses() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch arrived = new CountDownLatch(1);
        try (Backend backend = new Backend("b", (ex, s) -> {
            arrived.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "finished " + s.uri());
        })) {
            ProxyServer proxy = ProxyServer.start(Fixtures.config().withDrain(java.time.Duration.ZERO, java.time.Duration.ofSeconds(15)));
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())),
                    List.of()))).isEmpty();
            try (H2Client c = new H2Client(proxy.port())) {
                CompletableFuture<H2Client.Response> slow = c.send(H2Client.headers("GET", "/slow", "a"), null);
                assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);

                H2Client.GoAway notice = c.goAways.poll(10, TimeUnit.SECONDS);
                assertThat(notice).isNotNull();
                assertThat(notice.errorCode()).isEqualTo(Http2Error.NO_ERROR.code());
                assertThat(notice.lastStreamId()).isEqualTo(Integer.MAX_VALUE);
                H2Client.GoAway last = c.goAways.poll(10, TimeUnit.SECONDS);
                assertThat(last).isNotNull();
                assertThat(last.errorCode()).isEqualTo(Http2Error.NO_ERROR.code());
                assertThat(last.lastStreamId()).as("the stream in flight").isEqualTo(3);
                assertThat(slow).isNotDone();

                release.countDown();
                H2Client.Response r = slow.get(10, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("finished /slow");
                assertThat(c.channel().closeFuture().await(10, TimeUnit.SECONDS)).as("closed once quiet").isTrue();
                closing.get(20, TimeUnit.SECONDS);
                assertThat(proxy.metrics().registry().get("gatehouse.drain.connections.closed").tag("reason", "forced")
                        .counter().count()).isZero();
            }
        }
    }
}
