package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.Transport;
import dev.gatehouse.proxy.UpstreamKeepalive;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP/1.1 pool's idle reaping, against a real target on 127.0.0.1 that records the
 * connections it accepts and the ones the pool closes: an idle connection past the timeout is
 * closed, and the target's queue stays for the next connection until the target leaves.
 */
class UpstreamPoolTest {
    private final Transport transport = Transport.best();
    private EventLoopGroup group;
    private EventLoop loop;
    private Channel target;
    /** "open" or "closed", one per event on the target's side of a connection. */
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    private UpstreamPool pool;
    private Peer peer;

    @BeforeEach
    void start() throws Exception {
        group = transport.newGroup(1, "pool-test");
        loop = group.next();
        target = transport.serverBootstrap(group)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        seen.add("open");
                        ch.closeFuture().addListener(f -> seen.add("closed"));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        int port = ((InetSocketAddress) target.localAddress()).getPort();
        peer = Peer.of(new Upstream.Target("127.0.0.1", port, Upstream.Target.DEFAULT_WEIGHT));
        pool = pool(TimeUnit.SECONDS.toNanos(1));
    }

    private UpstreamPool pool(long idleTimeoutNanos) throws Exception {
        return onLoop(() -> new UpstreamPool(loop, transport, null, null, idleTimeoutNanos, UpstreamKeepalive.DEFAULTS.maxRequests(),
                UpstreamConnectionMeters.NONE));
    }

    @AfterEach
    void stop() throws Exception {
        onLoop(() -> {
            pool.close();
            return null;
        });
        target.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void closesAConnectionIdlePastTheTimeoutAndKeepsTheTargetsQueueForTheNextOne() throws Exception {
        String key = UpstreamPool.key(peer, false);
        Channel first = onLoop(() -> pool.connect(peer, false, 5_000)).sync().channel();
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(onLoop(() -> {
            pool.release(first, true);
            return pool.idleCount(key);
        })).isEqualTo(1);

        // nothing uses it: the reaper closes it once it has been idle for the timeout
        assertThat(seen.poll(10, TimeUnit.SECONDS)).as("the target sees the idle connection closed").isEqualTo("closed");
        awaitOnLoop(() -> pool.idleCount(key) == 0);
        assertThat(onLoop(() -> pool.knows(key))).as("the target's queue outlives its last connection").isTrue();
        assertThat(onLoop(() -> pool.acquire(key))).isNull();

        // the next request connects again, and its connection is pooled in the same queue
        Channel second = onLoop(() -> pool.connect(peer, false, 5_000)).sync().channel();
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(onLoop(() -> {
            pool.release(second, true);
            Channel taken = pool.acquire(key);
            pool.release(second, true);
            return taken;
        })).isSameAs(second);

        // the target leaves the snapshot: its connection is closed and its queue goes
        onLoop(() -> {
            pool.retainOnly(Set.of());
            return null;
        });
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("closed");
        assertThat(onLoop(() -> pool.knows(key))).isFalse();
    }

    @Test
    void forgetsATargetsQueueLeftEmptyForTwentyIdleTimeouts() throws Exception {
        onLoop(() -> {
            pool.close();
            return null;
        });
        pool = pool(TimeUnit.MILLISECONDS.toNanos(100)); // the queue goes 2 s after its last connection came back
        String key = UpstreamPool.key(peer, false);
        Channel ch = onLoop(() -> pool.connect(peer, false, 5_000)).sync().channel();
        long beforeRelease = System.nanoTime();
        assertThat(onLoop(() -> {
            pool.release(ch, true);
            return pool.knows(key);
        })).isTrue();
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(seen.poll(5, TimeUnit.SECONDS)).as("reaped after 100 ms idle").isEqualTo("closed");
        awaitOnLoop(() -> !pool.knows(key), 10);
        assertThat(System.nanoTime() - beforeRelease).as("dropped no sooner than 20 idle timeouts after the release")
                .isGreaterThan(TimeUnit.SECONDS.toNanos(2));
    }

    /**
     * Each connection carries its own share of requests, between 90 % and all of the limit, so
     * connections opened together are not all closed and opened again together.
     */
    @Test
    void eachConnectionIsClosedAtItsOwnRequestLimitWithinTheSpread() throws Exception {
        onLoop(() -> {
            pool.close();
            return null;
        });
        pool = onLoop(() -> new UpstreamPool(loop, transport, null, null, TimeUnit.SECONDS.toNanos(30), 100,
                UpstreamConnectionMeters.NONE));
        String key = UpstreamPool.key(peer, false);
        Set<Integer> limits = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            Channel ch = onLoop(() -> pool.connect(peer, false, 5_000)).sync().channel();
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("open");
            UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
            int limit = onLoop(() -> h.requestLimit);
            assertThat(limit).as("connection %d's limit", i).isBetween(90, 100);
            limits.add(limit);
            // one request short of its limit it goes back to the pool; at its limit it is closed
            assertThat(onLoop(() -> {
                h.requests = limit - 1;
                pool.release(ch, true);
                return pool.acquire(key);
            })).isSameAs(ch);
            onLoop(() -> {
                h.requests = limit;
                pool.release(ch, true);
                return null;
            });
            assertThat(seen.poll(5, TimeUnit.SECONDS)).as("closed at its limit").isEqualTo("closed");
            assertThat(onLoop(() -> pool.idleCount(key))).isZero();
        }
        assertThat(limits).as("drawn per connection, not one for all").hasSizeGreaterThan(1);
    }

    @Test
    void theLimitsAreSpreadEvenlyOverTheTopTenthOfTheMaximum() {
        Random random = new Random(13);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
            counts.merge(UpstreamPool.requestLimit(UpstreamKeepalive.DEFAULTS.maxRequests(), random), 1, Integer::sum);
        }
        assertThat(counts.keySet()).allSatisfy(n -> assertThat(n).isBetween(9_000, 10_000));
        assertThat(counts).containsKeys(9_000, 10_000).hasSize(1_001);
        // about 100 draws each: none of the 1 001 values twice as likely as another
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(50, 160));
        assertThat(UpstreamPool.requestLimit(1, random)).as("a limit of one stays one").isEqualTo(1);
    }

    private void awaitOnLoop(Callable<Boolean> condition) throws Exception {
        awaitOnLoop(condition, 5);
    }

    private void awaitOnLoop(Callable<Boolean> condition, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!onLoop(condition)) {
            assertThat(System.nanoTime()).as("condition met within " + seconds + " s").isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // a poll interval, not a wait for the event
        }
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(5, TimeUnit.SECONDS);
    }
}
