package dev.gatehouse.proxy.forward;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * State shared by every connection of one proxy: the compiled snapshot behind one volatile
 * reference, the in-flight request and open WebSocket tunnel counts, and the draining flag used
 * by graceful shutdown.
 */
public final class DataPlane {
    private volatile CompiledSnapshot compiled = CompiledSnapshot.EMPTY;
    private volatile boolean draining;
    private final AtomicInteger inFlight = new AtomicInteger();
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
        return inFlight.get();
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
        inFlight.incrementAndGet();
    }

    void requestEnded() {
        inFlight.decrementAndGet();
    }
}
