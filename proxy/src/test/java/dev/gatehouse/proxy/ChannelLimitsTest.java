package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy's message limit over a real socket, against a controller stand-in that compresses
 * (permessage-deflate) and ignores the limit the proxy told in its hello: a message that grows
 * past the limit is refused with a NACK and the proxy keeps serving what it has; a compression
 * bomb (a few KiB on the wire, megabytes inflated) is refused the same way without being inflated.
 */
class ChannelLimitsTest {
    private static final int LIMIT = ChannelClientConfig.MIN_MAX_MESSAGE_BYTES; // 64 KiB
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Backend backend;
    private ProxyServer proxy;
    private DeflatingController controller;
    private ChannelClient client;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        backend = new Backend("a");
        proxy = ProxyServer.start(Fixtures.oneLoopConfig(), new SimpleMeterRegistry());
        controller = new DeflatingController();
        client = ChannelClient.start(new ChannelClientConfig(controller.uri(), null, "p1", null, false, null, LIMIT), proxy);
        Hello hello = controller.next(Hello.class, WAIT);
        assertThat(hello.maxMessageBytes()).isEqualTo(LIMIT);
        controller.push(snapshot(1), "e1");
        assertThat(controller.next(Ack.class, WAIT).version()).isEqualTo(1);
        assertThat(get()).isEqualTo(200);
    }

    @AfterEach
    void tearDown() {
        client.close();
        controller.close();
        proxy.close();
        backend.close();
    }

    private Snapshot snapshot(long version) {
        return Fixtures.snapshot(version, List.of(Fixtures.service("default/s", "default/u")),
                List.of(Fixtures.route("default/r", "default/s").paths("/").build()),
                List.of(Fixtures.upstream("default/u", backend.port())), List.of());
    }

    private int get() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** A snapshot message padded to {@code bytes} with spaces, which deflate squeezes to almost nothing. */
    private static String padded(long version, int bytes) {
        String head = "{\"type\":\"snapshot\",\"protocol\":1,\"version\":" + version + ",\"hash\":\"h\",\"epoch\":\"e1\",\"pad\":\"";
        return head + " ".repeat(bytes - head.length() - 2) + "\"}";
    }

    @Test
    void aMessageOverTheLimitIsNackedAndTheProxyKeepsServingAndStaysConnected() throws Exception {
        controller.send(padded(2, 4 * LIMIT), 16 * 1024); // fragments of 16 KiB: the aggregator refuses the 5th
        Nack nack = controller.next(Nack.class, WAIT);
        assertThat(nack.version()).as("the proxy cannot know the version of a message it did not read").isZero();
        assertThat(nack.errors()).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("message");
            assertThat(e.message()).contains("larger than " + LIMIT + " bytes decompressed");
        });
        assertThat(client.oversizeRefused()).isEqualTo(1);
        assertThat(proxy.current().version()).isEqualTo(1);
        assertThat(get()).isEqualTo(200);

        controller.push(snapshot(3), "e1"); // same connection: the next message goes through
        assertThat(controller.next(Ack.class, WAIT).version()).isEqualTo(3);
        assertThat(client.connected()).isTrue();
    }

    @Test
    void aCompressionBombIsRefusedWithoutBeingInflatedAndTheProxyReconnects() throws Exception {
        long before = controller.wireBytes.get();
        controller.send(padded(2, 8 * 1024 * 1024), Integer.MAX_VALUE); // one frame: 8 MiB inflated
        Nack nack = controller.next(Nack.class, WAIT);
        assertThat(controller.wireBytes.get() - before).as("the bomb's size on the wire").isLessThan(LIMIT);
        assertThat(nack.errors()).singleElement().satisfies(e -> assertThat(e.field()).isEqualTo("message"));
        assertThat(client.oversizeRefused()).isEqualTo(1);
        assertThat(proxy.current().version()).isEqualTo(1);
        assertThat(get()).isEqualTo(200);
        // the inflater's state is gone with the frame: the proxy reconnects and says what it serves
        Hello again = controller.next(Hello.class, WAIT);
        assertThat(again.lastVersion()).isEqualTo(1);
    }
}
