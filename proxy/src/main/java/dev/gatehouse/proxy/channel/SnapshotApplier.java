package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.config.channel.SnapshotPush;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The proxy's side of the exchange, without networking: the hello to say, and for each push the
 * checks (hash, version, {@linkplain EpochGuard order within the controller's epoch}), the
 * {@link SnapshotSink#apply}, the write to disk and the answer. Called from one thread at a time
 * (the client's event loop).
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
    private final EpochGuard epochs = new EpochGuard();
    private Snapshot hashedSnapshot;
    private String hashedValue;
    private volatile long lastAppliedVersion;
    private volatile long staleRefused;

    SnapshotApplier(SnapshotSink sink, Path stateDir) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.stateDir = stateDir;
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
        Snapshot current = sink.current();
        if (current == null || Snapshot.EMPTY.equals(current)) {
            return Hello.of(proxyId, 0, null);
        }
        return Hello.of(proxyId, current.version(), hash(current), epochs.lastEpoch());
    }

    /** Applies one push through the sink; returns the answer to send. */
    ChannelMessage receive(SnapshotPush push) {
        Snapshot snapshot = push.snapshot();
        String hash = SnapshotCodec.contentHash(snapshot);
        List<ObjectError> errors = new ArrayList<>();
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
                problems = Objects.requireNonNullElse(sink.apply(snapshot), List.of());
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
        hashedSnapshot = snapshot;
        hashedValue = hash;
        lastAppliedVersion = push.version();
        epochs.applied(push.epoch(), push.version());
        persist(snapshot, push.epoch());
        LOG.info("event=channel.applied version={} hash={} epoch={}", push.version(), hash,
                push.epoch() == null ? "-" : push.epoch());
        return Ack.of(push.version(), hash);
    }

    private void persist(Snapshot snapshot, String epoch) {
        if (stateDir == null) {
            return;
        }
        try {
            SnapshotStore.write(stateDir, snapshot);
            SnapshotStore.writeOrigin(stateDir, epoch, snapshot.version());
        } catch (IOException | RuntimeException e) {
            // still acknowledged: the proxy serves it; only a restart without a controller loses it
            LOG.warn("event=channel.persist-failed dir={} version={} error=\"{}\"", stateDir, snapshot.version(),
                    e.toString());
        }
    }

    private String hash(Snapshot snapshot) {
        if (snapshot != hashedSnapshot) {
            hashedSnapshot = snapshot;
            hashedValue = SnapshotCodec.contentHash(snapshot);
        }
        return hashedValue;
    }
}
