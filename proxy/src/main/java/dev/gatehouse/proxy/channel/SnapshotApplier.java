package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.config.channel.SnapshotPush;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The proxy's side of the exchange, without networking: the hello to say, and for each push the
 * checks (hash, version, {@linkplain EpochGuard order within the controller's epoch}), the
 * {@link SnapshotSink#apply}, the write to disk and the answer. Called from one thread (the
 * client's apply thread, never its event loop).
 *
 * <p>An {@link EndpointDelta} is applied only when the sink serves exactly its base (version and
 * content hash); the new snapshot is {@link EndpointDiff#apply the base with the targets replaced},
 * handed to {@link SnapshotSink#applyEndpoints}, and takes the delta's hash without hashing again.
 * Otherwise the answer is a NACK whose error field is {@value EndpointDelta#RESYNC_FIELD}: the
 * controller then sends the whole snapshot ({@code event=channel.resync-requested}).
 *
 * <p>An {@link ObjectDelta} likewise: the new snapshot is {@link ObjectDiff#apply the base with
 * the objects put and removed} (unchanged objects are the base's instances, never decoded again),
 * its {@link ContentHash} is made from the base's per-object digests and the put objects' alone,
 * and must equal the delta's hash (else a resync: the proxy never serves content it cannot vouch
 * for); then {@link SnapshotSink#applyObjects}.
 *
 * <p>Hashes: the per-object {@link ContentHash} (the hello says {@value Hello#FEATURE_OBJECTS}). A
 * push from a controller from before it carries the legacy whole-document hash; it is accepted
 * when it matches that, and acknowledged with it.
 *
 * <p>On disk: a whole snapshot is written when applied; after deltas the file is rewritten at
 * most once per {@value #PERSIST_EVERY_MILLIS} ms, the last delta of a burst always (a trailing
 * write), so a restart without a controller serves the latest state but for that window. Writes
 * run on a writer thread of its own when one is given: a whole snapshot's before it is
 * acknowledged, as before; a delta's (the whole snapshot's JSON, megabytes at full size, and an
 * fsync) without waiting, the newest waiting replacing an older one, so that the next delta's
 * apply does not wait for the disk.
 *
 * <p>A push older than what was applied from the same epoch is answered with a NACK (field
 * {@code version}), not ignored: the controller then knows it was answered and sends the next
 * one; the sink never sees it. It is logged ({@code event=channel.stale-snapshot}) and counted
 * ({@link #staleRefused()}).
 */
final class SnapshotApplier {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotApplier.class);

    private final SnapshotSink sink;
    private final Path stateDir;
    static final long PERSIST_EVERY_MILLIS = 1_000;

    /** What this proxy tells in its hello it takes beyond protocol 1's first messages. */
    static final List<String> FEATURES = List.of(Hello.FEATURE_OBJECTS);

    private final EpochGuard epochs = new EpochGuard();
    /** Runs the trailing write of a burst of deltas; the apply thread itself. Null: write at once. */
    private final ScheduledExecutorService later;
    private final LongSupplier clockMillis;
    private long lastPersistMillis = Long.MIN_VALUE / 2;
    private boolean persistScheduled;
    private Snapshot unpersisted;
    private String unpersistedEpoch;
    /** Writes the files off the apply thread; null: on it. */
    private final Executor writer;
    /** The newest snapshot handed to the writer and not yet taken by it (latest wins). */
    private final AtomicReference<Pending> toWrite = new AtomicReference<>();

    private record Pending(Snapshot snapshot, String epoch) {
    }
    /** Counts of one kind of delta ({@code kind}: the label), written by the apply thread, read by the metrics. */
    static final class DeltaCounts {
        final String kind;
        volatile long applied;
        volatile long resyncs;
        volatile long refused;

        DeltaCounts(String kind) {
            this.kind = kind;
        }

        long applied() {
            return applied;
        }

        long resyncs() {
            return resyncs;
        }

        long refused() {
            return refused;
        }
    }

    private final DeltaCounts endpointCounts = new DeltaCounts("endpoints");
    private final DeltaCounts objectCounts = new DeltaCounts("objects");
    /** The per-object digests of the snapshot served (or last hashed); the next hash starts from them. */
    private ContentHash.Digests digests;
    private volatile long lastAppliedVersion;
    private volatile long staleRefused;

    SnapshotApplier(SnapshotSink sink, Path stateDir) {
        this(sink, stateDir, null, System::currentTimeMillis);
    }

    SnapshotApplier(SnapshotSink sink, Path stateDir, ScheduledExecutorService later, LongSupplier clockMillis) {
        this(sink, stateDir, later, clockMillis, null);
    }

    /** @param writer runs the writes to {@code stateDir}, in order; null writes on the caller's thread */
    SnapshotApplier(SnapshotSink sink, Path stateDir, ScheduledExecutorService later, LongSupplier clockMillis, Executor writer) {
        this.writer = writer;
        this.sink = Objects.requireNonNull(sink, "sink");
        this.stateDir = stateDir;
        this.later = later;
        this.clockMillis = clockMillis;
        Snapshot current = sink.current();
        this.lastAppliedVersion = current == null ? 0 : current.version();
        SnapshotStore.Origin origin = SnapshotStore.loadOrigin(stateDir);
        if (origin != null && current != null && origin.version() == current.version()) {
            epochs.applied(origin.epoch(), origin.version()); // what the proxy serves, restored from disk
        }
    }

    long lastAppliedVersion() {
        return lastAppliedVersion;
    }

    /** The counts of each kind of delta, for the meters. */
    List<DeltaCounts> deltaCounts() {
        return List.of(endpointCounts, objectCounts);
    }

    /** Endpoint deltas applied. */
    long deltasApplied() {
        return endpointCounts.applied;
    }

    /** Object deltas applied. */
    long objectDeltasApplied() {
        return objectCounts.applied;
    }

    /** Endpoint deltas answered with a resync request (the proxy was not at their base). */
    long resyncsRequested() {
        return endpointCounts.resyncs;
    }

    /** Object deltas answered with a resync request (not at their base, or their hash did not come out). */
    long objectResyncsRequested() {
        return objectCounts.resyncs;
    }

    /** Endpoint deltas refused for their content (NACKed with the problems). */
    long endpointDeltasRefused() {
        return endpointCounts.refused;
    }

    /** Object deltas refused for their content (NACKed with the problems). */
    long objectDeltasRefused() {
        return objectCounts.refused;
    }

    /** Pushes refused because their version went back within their epoch. */
    long staleRefused() {
        return staleRefused;
    }

    /**
     * The hello for a new connection: the version and content hash the sink serves now; no hash
     * while it serves none ({@code null} or {@link Snapshot#EMPTY}), so a controller whose snapshot
     * is empty too still pushes it (a proxy opens its port only once a snapshot is applied).
     */
    Hello hello(String proxyId) {
        return hello(proxyId, 0);
    }

    /** As {@link #hello(String)}, telling the proxy's message limit; 0 tells none. */
    Hello hello(String proxyId, long maxMessageBytes) {
        Long max = maxMessageBytes > 0 ? maxMessageBytes : null;
        Snapshot current = sink.current();
        if (current == null || Snapshot.EMPTY.equals(current)) {
            return new Hello(Hello.PROTOCOL, proxyId, 0, null, null, max, FEATURES);
        }
        return new Hello(Hello.PROTOCOL, proxyId, current.version(), hash(current), epochs.lastEpoch(), max, FEATURES);
    }

    /** Applies one endpoint delta when the sink serves its base; returns the answer to send. */
    ChannelMessage receive(EndpointDelta delta) {
        return receiveDelta(new Incoming(delta.epoch(), delta.version(), delta.hash(), delta.baseVersion(),
                        delta.baseHash()), endpointCounts, current -> EndpointDiff.apply(current, delta),
                next -> sink.applyEndpoints(next, delta.hash(),
                        delta.upstreams().stream().map(EndpointDelta.UpstreamTargets::id).toList()),
                "upstreams=" + delta.upstreams().size());
    }

    /** Applies one object delta when the sink serves its base; returns the answer to send. */
    ChannelMessage receive(ObjectDelta delta) {
        return receiveDelta(new Incoming(delta.epoch(), delta.version(), delta.hash(), delta.baseVersion(),
                        delta.baseHash()), objectCounts, current -> ObjectDiff.apply(current, delta),
                next -> sink.applyObjects(next, delta.hash(), delta),
                "kinds=" + delta.changedKinds() + " changes=" + delta.count());
    }

    /** What both kinds of delta say about themselves: where they apply and what they make. */
    private record Incoming(String epoch, long version, String hash, long baseVersion, String baseHash) {
    }

    /**
     * One delta, either kind: refused when its version went back within its epoch; a resync asked
     * for when the sink does not serve exactly its base or the patched snapshot's content hash is
     * not the delta's; else the patched snapshot handed to the sink, NACKed with its problems or
     * ACKed, and saved at the bounded rate.
     *
     * @param patch  the base with the delta applied; throws IllegalArgumentException when it does not fit
     * @param apply  hands the patched snapshot to the sink; its problems, empty when applied
     * @param detail what the applied log line says of the delta's size
     */
    private ChannelMessage receiveDelta(Incoming in, DeltaCounts counts, java.util.function.UnaryOperator<Snapshot> patch,
                                        java.util.function.Function<Snapshot, List<Problem>> apply, String detail) {
        Snapshot current = sink.current();
        String stale = epochs.refusal(in.epoch(), in.version());
        if (stale != null) {
            staleRefused++;
            LOG.warn("event=channel.stale-snapshot kind={} epoch={} version={} held={} action=nack", counts.kind, in.epoch(),
                    in.version(), epochs.highest(in.epoch()));
            return Nack.of(in.version(), in.hash(), List.of(ObjectError.snapshotWide("version", stale)));
        }
        long startNanos = System.nanoTime();
        boolean atBase = current != null && !Snapshot.EMPTY.equals(current) && current.version() == in.baseVersion()
                && hash(current).equals(in.baseHash());
        Snapshot next = null;
        String why = null;
        if (!atBase) {
            why = in.baseVersion() + " (expected: " + (current == null ? 0 : current.version())
                    + ", the version this proxy serves; send the whole snapshot)";
        } else {
            try {
                next = patch.apply(current);
            } catch (IllegalArgumentException e) {
                why = in.baseVersion() + ": " + e.getMessage() + " (send the whole snapshot)";
            }
        }
        ContentHash.Digests nextDigests = next == null ? null : ContentHash.of(next, digests);
        if (next != null && !nextDigests.hash().equals(in.hash())) {
            why = in.baseVersion() + ": the content hash after the delta is " + nextDigests.hash() + " (expected: "
                    + in.hash() + "; send the whole snapshot)";
            next = null;
        }
        if (next == null) {
            counts.resyncs++;
            LOG.info("event=channel.resync-requested kind={} version={} base={} held={}", counts.kind, in.version(),
                    in.baseVersion(), current == null ? 0 : current.version());
            return Nack.of(in.version(), in.hash(), List.of(ObjectError.snapshotWide(EndpointDelta.RESYNC_FIELD, why)));
        }
        long patchedNanos = System.nanoTime();
        List<Problem> problems;
        try {
            problems = Objects.requireNonNullElse(apply.apply(next), List.of());
        } catch (RuntimeException e) {
            LOG.error("event=channel.apply-failed kind={} version={} error=\"{}\"", counts.kind, in.version(), e.toString(), e);
            problems = List.of(new Problem(null, "snapshot", "the proxy failed to apply it: " + e));
        }
        if (!problems.isEmpty()) {
            counts.refused++;
            List<ObjectError> errors = problems.stream().map(ObjectError::of).toList();
            LOG.warn("event=channel.nack kind={} version={} errors={} first=\"{}\"", counts.kind, in.version(), errors.size(),
                    errors.get(0));
            return Nack.of(in.version(), in.hash(), errors);
        }
        digests = nextDigests;
        lastAppliedVersion = in.version();
        counts.applied++;
        epochs.applied(in.epoch(), in.version());
        persistSoon(next, in.epoch());
        LOG.info("event=channel.applied kind={} version={} base={} {} hashed={} patch-micros={} apply-micros={} hash={}",
                counts.kind, in.version(), in.baseVersion(), detail, nextDigests.computed(), (patchedNanos - startNanos) / 1_000,
                (System.nanoTime() - patchedNanos) / 1_000, in.hash());
        return Ack.of(in.version(), in.hash());
    }

    /** Applies one push through the sink; returns the answer to send. */
    ChannelMessage receive(SnapshotPush push) {
        Snapshot snapshot = push.snapshot();
        ContentHash.Digests pushed = ContentHash.of(snapshot, digests);
        String hash = pushed.hash();
        List<ObjectError> errors = new ArrayList<>();
        if (!hash.equals(push.hash()) && ContentHash.legacy(snapshot).equals(push.hash())) {
            hash = push.hash(); // a controller from before per-object hashing: its hash, its ACK
        }
        if (!hash.equals(push.hash())) {
            errors.add(ObjectError.snapshotWide("hash", push.hash() + " (expected: " + hash
                    + ", the content hash of the snapshot sent)"));
        }
        if (push.version() != snapshot.version()) {
            errors.add(ObjectError.snapshotWide("version", push.version() + " (expected: "
                    + snapshot.version() + ", the version of the snapshot sent)"));
        }
        String stale = epochs.refusal(push.epoch(), push.version());
        if (stale != null) {
            staleRefused++; // written on the client's loop only
            LOG.warn("event=channel.stale-snapshot epoch={} version={} held={} action=nack", push.epoch(), push.version(),
                    epochs.highest(push.epoch()));
            return Nack.of(push.version(), push.hash(), List.of(ObjectError.snapshotWide("version", stale)));
        }
        if (errors.isEmpty()) {
            List<Problem> problems;
            try {
                problems = Objects.requireNonNullElse(sink.apply(snapshot, pushed.hash()), List.of());
            } catch (RuntimeException e) {
                LOG.error("event=channel.apply-failed version={} error=\"{}\"", push.version(), e.toString(), e);
                problems = List.of(new Problem(null, "snapshot", "the proxy failed to apply it: " + e));
            }
            problems.forEach(p -> errors.add(ObjectError.of(p)));
        }
        if (!errors.isEmpty()) {
            LOG.warn("event=channel.nack version={} errors={} first=\"{}\"", push.version(), errors.size(), errors.get(0));
            return Nack.of(push.version(), push.hash(), errors);
        }
        digests = pushed;
        lastAppliedVersion = push.version();
        epochs.applied(push.epoch(), push.version());
        unpersisted = null; // a whole snapshot supersedes a pending delta write
        persist(snapshot, push.epoch(), true);
        LOG.info("event=channel.applied version={} hash={} epoch={}", push.version(), hash,
                push.epoch() == null ? "-" : push.epoch());
        return Ack.of(push.version(), hash);
    }

    /** Writes {@code snapshot} now if the last write is {@value #PERSIST_EVERY_MILLIS} ms old, else once that much has passed. */
    private void persistSoon(Snapshot snapshot, String epoch) {
        if (stateDir == null) {
            return;
        }
        long now = clockMillis.getAsLong();
        if (later == null || now - lastPersistMillis >= PERSIST_EVERY_MILLIS) {
            unpersisted = null;
            persist(snapshot, epoch, false);
            return;
        }
        unpersisted = snapshot;
        unpersistedEpoch = epoch;
        if (!persistScheduled) {
            persistScheduled = true;
            try {
                later.schedule(this::persistPending, lastPersistMillis + PERSIST_EVERY_MILLIS - now, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                persistScheduled = false;
                persistPending(); // stopping: write it now rather than lose it
            }
        }
    }

    /** The trailing write of a burst of deltas; on the apply thread. */
    void persistPending() {
        persistScheduled = false;
        Snapshot s = unpersisted;
        if (s != null) {
            unpersisted = null;
            persist(s, unpersistedEpoch, false);
        }
    }

    /**
     * @param wait true to return once it is on disk (a whole snapshot is written before it is
     *             acknowledged); false for a delta's, which the writer may replace with a newer one
     */
    private void persist(Snapshot snapshot, String epoch, boolean wait) {
        if (stateDir == null) {
            return;
        }
        lastPersistMillis = clockMillis.getAsLong();
        if (writer == null) {
            write(snapshot, epoch);
            return;
        }
        boolean queued = toWrite.getAndSet(new Pending(snapshot, epoch)) != null; // then the task queued takes this one
        try {
            if (wait) { // through the writer all the same, so that no older write lands after it
                CompletableFuture.runAsync(this::writeHandedOver, writer).get();
            } else if (!queued) {
                writer.execute(this::writeHandedOver);
            }
        } catch (RejectedExecutionException e) {
            writeHandedOver(); // stopping: write it here rather than lose it
        } catch (ExecutionException e) {
            LOG.warn("event=channel.persist-failed dir={} version={} error=\"{}\"", stateDir, snapshot.version(),
                    e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stopping: the writer still writes it
        }
    }

    /** On the writer: the newest snapshot handed over, if any is left. */
    private void writeHandedOver() {
        Pending p = toWrite.getAndSet(null);
        if (p != null) {
            write(p.snapshot(), p.epoch());
        }
    }

    private void write(Snapshot snapshot, String epoch) {
        try {
            SnapshotStore.write(stateDir, snapshot, epoch); // the snapshot and its epoch in one rename
        } catch (IOException | RuntimeException e) {
            // still acknowledged: the proxy serves it; only a restart without a controller loses it
            LOG.warn("event=channel.persist-failed dir={} version={} error=\"{}\"", stateDir, snapshot.version(),
                    e.toString());
        }
    }

    /** {@code snapshot}'s content hash, from the digests kept: only objects not seen before are serialised. */
    private String hash(Snapshot snapshot) {
        digests = ContentHash.of(snapshot, digests);
        return digests.hash();
    }
}
