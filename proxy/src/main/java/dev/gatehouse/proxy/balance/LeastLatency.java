package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two random choices (Mitzenmacher) with Finagle's peak-EWMA cost: of two distinct
 * eligible targets drawn at random, the one with the lower latency EWMA × (in-flight + 1) ÷
 * weight. Reads shared per-target state only; no lock.
 */
final class LeastLatency implements SelectionStrategy {
    private final Balancer b;

    LeastLatency(Balancer b) {
        this.b = b;
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict) {
        int m = 0;
        for (int i = 0; i < b.size(); i++) {
            if (b.eligible(i, tried, now, strict)) {
                m++;
            }
        }
        if (m <= 1) {
            return m == 0 ? -1 : nth(0, tried, now, strict);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int r1 = random.nextInt(m);
        int r2 = random.nextInt(m - 1);
        if (r2 >= r1) {
            r2++;
        }
        int x = nth(r1, tried, now, strict);
        int y = nth(r2, tried, now, strict);
        return cost(x, now) <= cost(y, now) ? x : y;
    }

    private double cost(int i, long now) {
        TargetState t = b.target(i);
        return (t.ewmaNanos(now) + 1) * (t.inFlight() + 1) / b.effectiveWeight(i, now);
    }

    private int nth(int nth, BitSet tried, long now, boolean strict) {
        for (int i = 0; i < b.size(); i++) {
            if (b.eligible(i, tried, now, strict) && nth-- == 0) {
                return i;
            }
        }
        return -1;
    }
}
