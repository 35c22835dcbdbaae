package dev.gatehouse.bench;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.balance.Balancer;
import dev.gatehouse.proxy.balance.BalancerPlan;
import dev.gatehouse.proxy.balance.Balancers;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * One balancer pick (a request's first attempt) per algorithm at 2, 100 and 1 000 targets, all
 * healthy, weight 100, on an event-loop thread ({@link LoopThreads}). {@code ConsistentHash}
 * hashes an {@code x-user-id} header that cycles through 64 values. The pick includes
 * {@code System.nanoTime()} and the health check of every target it reads, as in the proxy.
 */
@State(Scope.Thread)
public class BalancerPickBench {
    @Param({"ROUND_ROBIN", "LEAST_CONNECTIONS", "LEAST_LATENCY", "CONSISTENT_HASH"})
    public Upstream.Algorithm algorithm;

    @Param({"2", "100", "1000"})
    public int targets;

    private Balancer balancer;
    private HttpRequest[] requests;
    private final BitSet tried = new BitSet();
    private int next;

    @Setup
    public void setUp() {
        List<Upstream.Target> list = new ArrayList<>(targets);
        for (int i = 0; i < targets; i++) {
            list.add(new Upstream.Target("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), 8080, 100));
        }
        Upstream.HashOn hashOn = algorithm == Upstream.Algorithm.CONSISTENT_HASH
                ? new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user-id") : null;
        Upstream u = new Upstream("bench/u", null, algorithm, hashOn, null, list, null, 0);
        Balancers balancers = new Balancers();
        BalancerPlan plan = balancers.plan();
        balancer = plan.balancer(u);
        balancers.commit(plan);
        requests = new HttpRequest[64];
        for (int j = 0; j < 64; j++) {
            requests[j] = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            requests[j].headers().set("x-user-id", "user-" + (j * 7919));
        }
    }

    @Benchmark
    public int pick() {
        return balancer.pick(requests[next++ & 63], null, tried);
    }
}
