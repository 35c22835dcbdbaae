package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The read and write timeouts of one attempt, on the attempt's event loop. No timer is
 * rescheduled per chunk: reads and writes only note the time, and a check that fires early
 * re-arms itself for the remainder.
 *
 * <ul>
 *   <li>read: the target sent no response byte for {@code readMillis} while the proxy was
 *       reading it. While the proxy holds the target back because the client is not taking the
 *       response ({@link #holdBack}), the target is not silent and the clock stops; it starts
 *       afresh when the proxy reads again ({@link #resume}). A client that stops reading is the
 *       client connection's idle timeout's to end;</li>
 *   <li>write: the connection stayed unwritable (the target took no request byte) for
 *       {@code writeMillis}.</li>
 * </ul>
 */
final class Deadlines {
    /** Told when a timeout expires. */
    interface Expiry {
        void readTimedOut(long silentMillis);

        void writeTimedOut(long stuckMillis);
    }

    private final EventExecutor executor;
    private final Expiry expiry;
    private Channel upstream;
    private long readMillis;
    private long writeMillis;
    private long lastReadNanos;
    private long lastWriteNanos;
    private ScheduledFuture<?> readTimer;
    private ScheduledFuture<?> writeTimer;
    private int generation;
    private boolean heldBack;

    Deadlines(EventExecutor executor, Expiry expiry) {
        this.executor = executor;
        this.expiry = expiry;
    }

    /** Starts the clocks for an attempt whose head was just written to {@code upstream}. */
    void start(Channel upstream, Service.Timeouts timeouts) {
        cancel();
        this.upstream = upstream;
        this.readMillis = timeouts.readMillis();
        this.writeMillis = timeouts.writeMillis();
        heldBack = false;
        lastReadNanos = System.nanoTime();
        lastWriteNanos = lastReadNanos;
        scheduleRead(readMillis);
    }

    void read() {
        lastReadNanos = System.nanoTime();
    }

    /** The proxy stopped reading the target to let the client catch up: the read clock stops. */
    void holdBack() {
        heldBack = true;
    }

    /** The proxy reads the target again: the read clock starts afresh. */
    void resume() {
        heldBack = false;
        lastReadNanos = System.nanoTime();
    }

    /** True while the proxy holds the target back for the client. */
    boolean heldBack() {
        return heldBack;
    }

    void wrote() {
        lastWriteNanos = System.nanoTime();
    }

    void unwritable() {
        if (writeTimer == null && upstream != null) {
            scheduleWrite(writeMillis);
        }
    }

    void cancel() {
        generation++;
        upstream = null;
        heldBack = false;
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
        if (writeTimer != null) {
            writeTimer.cancel(false);
            writeTimer = null;
        }
    }

    private void scheduleRead(long delayMillis) {
        int g = generation;
        readTimer = executor.schedule(() -> checkRead(g), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void scheduleWrite(long delayMillis) {
        int g = generation;
        writeTimer = executor.schedule(() -> checkWrite(g), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void checkRead(int g) {
        if (g != generation) {
            return;
        }
        readTimer = null;
        if (heldBack) {
            scheduleRead(readMillis);
            return;
        }
        long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReadNanos);
        if (silentMillis < readMillis) {
            scheduleRead(readMillis - silentMillis);
        } else {
            expiry.readTimedOut(silentMillis);
        }
    }

    private void checkWrite(int g) {
        if (g != generation) {
            return;
        }
        writeTimer = null;
        if (upstream == null || upstream.isWritable()) {
            return;
        }
        long stuckMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastWriteNanos);
        if (stuckMillis < writeMillis) {
            scheduleWrite(writeMillis - stuckMillis);
        } else {
            expiry.writeTimedOut(stuckMillis);
        }
    }
}
