package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.channel.SnapshotSink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** A proxy stand-in: keeps the applied snapshot, records every version offered, may refuse or stall. */
final class MemorySink implements SnapshotSink {
    private final List<Long> offered = new ArrayList<>();
    private volatile Snapshot current;
    private volatile Function<Snapshot, List<Problem>> judge = s -> List.of();
    private volatile long stallAt = -1;
    private volatile CountDownLatch stalled = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    MemorySink() {
    }

    MemorySink(Snapshot initial) {
        this.current = initial;
    }

    /** Problems to answer per snapshot; a non-empty answer keeps the current snapshot. */
    MemorySink judge(Function<Snapshot, List<Problem>> judge) {
        this.judge = judge;
        return this;
    }

    /** apply() of {@code version} blocks until {@link #release()}. */
    MemorySink stallAt(long version) {
        this.stallAt = version;
        return this;
    }

    void awaitStalled() throws InterruptedException {
        if (!stalled.await(30, TimeUnit.SECONDS)) { // a push over real sockets, on a loaded machine
            throw new AssertionError("apply of version " + stallAt + " never started");
        }
    }

    void release() {
        release.countDown();
    }

    @Override
    public List<Problem> apply(Snapshot snapshot) {
        synchronized (offered) {
            offered.add(snapshot.version());
        }
        if (snapshot.version() == stallAt) {
            stalled.countDown();
            try {
                release.await(30, TimeUnit.SECONDS); // held while the test looks, however slow the machine
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Problem> problems = judge.apply(snapshot);
        if (problems.isEmpty()) {
            current = snapshot;
        }
        return problems;
    }

    @Override
    public Snapshot current() {
        return current;
    }

    long currentVersion() {
        Snapshot s = current;
        return s == null ? -1 : s.version();
    }

    /** Every version apply() was called with, in order. */
    List<Long> offered() {
        synchronized (offered) {
            return List.copyOf(offered);
        }
    }
}
