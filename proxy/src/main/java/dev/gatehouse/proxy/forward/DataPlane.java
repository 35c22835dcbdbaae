package dev.gatehouse.proxy.forward;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * State shared by every connection of one proxy: the compiled snapshot behind one volatile
 * reference, the in-flight request and open WebSocket tunnel counts, and the draining flag used
 * by graceful shutdown.
 *
 * <p>Requests in flight are a {@link LongAdder}: every event loop adds and takes one per request,
 * and a shared {@code AtomicInteger} would bounce its cache line between the loops' cores twice
 * per request; the adder gives contending loops cells of their own. Only the drain and
 * {@code /status} read the sum.
 */
public final class DataPlane {
    /** This proxy's own start: its chain of compiled snapshots (and their key-auth namespace handles) is its alone. */
    private volatile CompiledSnapshot compiled = CompiledSnapshot.empty();
    private volatile boolean draining;
    private final LongAdder inFlight = new LongAdder();
    private final AtomicInteger tunnels = new AtomicInteger();

    public CompiledSnapshot compiled() {
        return compiled;
    }

    public void publish(CompiledSnapshot next) {
        compiled = next;
    }

    public boolean draining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }

    public int inFlight() {
        return (int) inFlight.sum();
    }

    /** WebSocket tunnels open now (a tunnel is not a request in flight: its 101 ended the request). */
    public int tunnels() {
        return tunnels.get();
    }

    void tunnelOpened() {
        tunnels.incrementAndGet();
    }

    void tunnelClosed() {
        tunnels.decrementAndGet();
    }

    void requestStarted() {
        inFlight.increment();
    }

    void requestEnded() {
        inFlight.decrement();
    }
}
