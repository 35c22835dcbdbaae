package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The read and write timeouts of the attempts on one upstream channel (an HTTP/1.1 connection,
 * reused by one attempt after the other, or an HTTP/2 stream), on the channel's event loop. No
 * timer is scheduled per request or rescheduled per chunk: reads and writes only note the time,
 * and a check that fires early re-arms itself for the remainder. The read check outlives the
 * attempt that armed it: the next attempt on a pooled connection finds it pending and only moves
 * the clock ({@link #start}), so a keep-alive connection under load schedules one check per read
 * timeout instead of one per request (a {@code ScheduledFutureTask}, a scheduled-queue insert and
 * removal each). A check that finds no attempt (the connection idles in its pool) lapses, and
 * {@link #close} cancels it with the channel, so no closed channel stays in the scheduled queue.
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
    /** The attempt timed now; null between attempts. */
    private Expiry expiry;
    private Channel upstream;
    private long readMillis;
    private long writeMillis;
    private long lastReadNanos;
    private long lastWriteNanos;
    private ScheduledFuture<?> readTimer;
    /** When the pending read check runs ({@link System#nanoTime}); meaningful while {@link #readTimer} is set. */
    private long readCheckNanos;
    /** Tells the read check scheduled last from one cancelled when a shorter timeout came. */
    private int readArm;
    private ScheduledFuture<?> writeTimer;
    /** Tells the write check of the current attempt from one of an earlier attempt. */
    private int generation;
    private boolean heldBack;

    Deadlines(EventExecutor executor) {
        this.executor = executor;
    }

    /**
     * Starts the clocks for an attempt whose head is being written to {@code upstream}. The read
     * check left by an earlier attempt on the channel stays when it runs no later than this
     * attempt's deadline (it re-arms itself for the remainder); one that would run later (the
     * earlier attempt had a longer read timeout) is replaced. {@code now} ({@link System#nanoTime})
     * is when the head is handed to the channel.
     */
    void start(Channel upstream, Service.Timeouts timeouts, Expiry expiry, long now) {
        stop();
        this.upstream = upstream;
        this.expiry = expiry;
        this.readMillis = timeouts.readMillis();
        this.writeMillis = timeouts.writeMillis();
        lastReadNanos = now;
        lastWriteNanos = now;
        if (readTimer != null && readCheckNanos - (now + TimeUnit.MILLISECONDS.toNanos(readMillis)) > 0) {
            readTimer.cancel(false);
            readTimer = null;
        }
        if (readTimer == null) {
            scheduleRead(now, readMillis);
        }
    }

    /** Bytes came from the target: the read clock starts again. Returns the reading ({@link System#nanoTime}). */
    long read() {
        long now = System.nanoTime();
        lastReadNanos = now;
        return now;
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

    /** The attempt ended: nothing is timed until the next {@link #start}; a pending read check lapses when it runs. */
    void stop() {
        generation++;
        expiry = null;
        upstream = null;
        heldBack = false;
        if (writeTimer != null) {
            writeTimer.cancel(false);
            writeTimer = null;
        }
    }

    /** The channel closed, or left the proxy's HTTP handling (a tunnel): every check is cancelled. */
    void close() {
        stop();
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
    }

    private void scheduleRead(long now, long delayMillis) {
        int arm = ++readArm;
        readCheckNanos = now + TimeUnit.MILLISECONDS.toNanos(delayMillis);
        readTimer = executor.schedule(() -> checkRead(arm), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void scheduleWrite(long delayMillis) {
        int g = generation;
        writeTimer = executor.schedule(() -> checkWrite(g), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void checkRead(int arm) {
        if (arm != readArm) {
            return;
        }
        readTimer = null;
        Expiry e = expiry;
        if (e == null) {
            return;
        }
        long now = System.nanoTime();
        if (heldBack) {
            scheduleRead(now, readMillis);
            return;
        }
        long silentMillis = TimeUnit.NANOSECONDS.toMillis(now - lastReadNanos);
        if (silentMillis < readMillis) {
            scheduleRead(now, readMillis - silentMillis);
        } else {
            e.readTimedOut(silentMillis);
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
