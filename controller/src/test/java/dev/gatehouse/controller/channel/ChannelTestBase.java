package dev.gatehouse.controller.channel;

import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real server, real clients, loopback, ephemeral ports. Everything started through here is
 * closed after each test, newest first, and the test fails if Netty's (paranoid) leak detector
 * reported a leaked buffer.
 */
abstract class ChannelTestBase {
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    protected LogCapture logs;

    @BeforeEach
    void captureLogs() {
        logs = new LogCapture();
    }

    @AfterEach
    void closeAllAndCheckLeaks() throws Exception {
        try {
            while (!started.isEmpty()) {
                started.pop().close();
            }
            // the detector reports on the next tracked allocation after the GC saw the leak
            for (int i = 0; i < 3; i++) {
                System.gc();
                Poll.sleep(20);
                for (ByteBufAllocator a : new ByteBufAllocator[]{PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT}) {
                    ByteBuf b = a.buffer(16);
                    b.release();
                }
            }
            assertThat(logs.containing("LEAK:")).as("Netty leak reports").isEmpty();
        } finally {
            logs.close();
        }
    }

    protected <T extends AutoCloseable> T track(T closeable) {
        started.push(closeable);
        return closeable;
    }

    protected ChannelServer server(ChannelServerConfig config) {
        return track(ChannelServer.start(config));
    }

    protected ChannelServer server() {
        return server(ChannelServerConfig.loopback(0));
    }

    /**
     * {@code proxies} connected and every one acknowledged {@code version}, checked in that order:
     * {@link ChannelServer#allAcked} is true over no sessions, so alone it passes before a proxy has
     * connected, and checked first it lets a session registered between the two calls pass
     * unacknowledged. Every wait for an ACK in these tests goes through here.
     */
    protected static boolean proxiesAcked(ChannelServer server, int proxies, long version) {
        return server.connectedCount() == proxies && server.allAcked(version);
    }

    protected static boolean oneProxyAcked(ChannelServer server, long version) {
        return proxiesAcked(server, 1, version);
    }

    protected static URI uri(ChannelServer server) {
        return URI.create("ws://127.0.0.1:" + server.port() + ChannelServer.PATH);
    }

    protected ChannelClient client(ChannelClientConfig config, MemorySink sink) {
        return track(ChannelClient.start(config, sink));
    }

    protected ChannelClient client(ChannelServer server, String proxyId, MemorySink sink) {
        return client(ChannelClientConfig.of(uri(server), null, proxyId), sink);
    }
}
