package dev.gatehouse.controller.files;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.publish.SnapshotPublisher;
import dev.gatehouse.controller.publish.SnapshotVersions;
import dev.gatehouse.controller.translate.DefaultCertificate;
import dev.gatehouse.controller.translate.IngressSelection;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.translate.Translation;
import dev.gatehouse.controller.translate.IncrementalTranslator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Local mode's stand-in for the informers: watches a directory, and on any change reads it,
 * adds the generated keys, translates and publishes the snapshot (unchanged snapshots are not
 * published). The file system's notification wakes it at once ({@link DirectoryWatch}), and a
 * scan every {@link #WATCHED_POLL} (every {@link #POLL} where notifications cannot be had) sees
 * changed, added and removed files whatever editor wrote them and whatever notifications missed;
 * once such a scan finds a change no notification announced, the directory is polled every
 * {@link #POLL} from then on, as where there is no watch, and that is logged once.
 * A change is read once the directory has stayed the same for {@link #SETTLE}
 * ({@code gatehouse local --settle}), so a file caught between its truncation and its write (which
 * is valid YAML: empty, or a prefix) is not served; a file that is not valid YAML keeps its last good objects, so
 * a half-saved file never takes routes down; every problem is logged once. A reload reads and
 * parses only the files whose bytes changed.
 */
public final class LocalSource implements AutoCloseable {
    /** How often the directory is scanned when the file system offers no notification, or once one was seen missing. */
    public static final Duration POLL = Duration.ofMillis(100);
    /**
     * How often it is scanned with notifications, for a change they missed (a file system that
     * accepts a watch and sends nothing, a file changed through a hard link in another directory;
     * an overflow wakes the poller itself). Each scan wakes a thread on the proxy's cores and lists
     * and stats the directory: at {@link #POLL}, ten times a second, that was a preemption of the
     * event loop every 100 ms under load, and once a second still 0.5-0.8 ms of the gateway's core
     * each second in an idle proxy (docs/decisions.md, "Local mode's poller: notifications first").
     * The first change such a scan finds unannounced turns the poller to {@link #POLL}.
     */
    public static final Duration WATCHED_POLL = Duration.ofSeconds(10);
    /**
     * How long a scan that found a change on its own waits for the notification that may be on its way
     * (a change made just as the wait ran out) before it counts the change as one notifications missed.
     */
    static final Duration NOTIFICATION_GRACE = Duration.ofMillis(200);
    /**
     * How long the directory must stay the same, after a change is seen, before it is read: each
     * write of a file being saved wakes the poller and starts the wait again. An editor's
     * truncate-then-write, or a tool's write in a few calls, takes well under this; a writer that
     * pauses longer mid-file, with a prefix that is valid YAML, would be read half-written (an
     * atomic rename over the file, as {@code kubectl} tooling and most editors do, never is).
     * The default of {@code gatehouse local --settle}; each change seen while waiting restarts the
     * wait and is counted ({@link #settleRestarts()}): a writer caught mid-file and not read then.
     * A file read half-written is not observable as such (a prefix that is valid YAML is a file
     * like any other); one that is not valid YAML is logged and keeps its last good objects.
     */
    public static final Duration SETTLE = Duration.ofMillis(25);
    /** The longest {@code --settle}: every change waits this long before it is served. */
    public static final Duration MAX_SETTLE = Duration.ofSeconds(10);
    /** How often the directory is translated again, unchanged, while certificates are in play (they expire). */
    public static final Duration CERTIFICATE_RECHECK = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(LocalSource.class);

    private final Path dir;
    private final SnapshotPublisher publisher;
    /** Where generated keys are kept, under the directory. */
    static final String KEY_STORE = ".gatehouse";
    private final LocalKeys keys;
    private final SnapshotVersions versions = new SnapshotVersions(System::currentTimeMillis);
    private DirectoryWatch watch;
    private Thread poller;
    private volatile boolean closed;
    private DirectoryState last;
    private LocalDirectory lastGood;
    /** Fingerprints the directory on each poll, reading only files that may have changed. */
    private final DirectoryScanner scanner;
    /** Each file's objects, parsed again only when its bytes change. */
    private final ParsedFiles parsed = new ParsedFiles();
    /**
     * Translates the objects of changed files (and what reads them) only: the files not changed
     * keep their parsed objects ({@link ParsedFiles}), the same Java objects, so their outcomes are
     * reused. Its check against a translation from scratch is not left to its own cadence, which
     * would put a whole translation (about a second at 10 000 routes) on one edit in 100: it runs
     * once the directory is quiet ({@link #VERIFY_IDLE}). Used under this source's lock.
     */
    private final IncrementalTranslator translator = new IncrementalTranslator(Integer.MAX_VALUE);
    /** Translations between two checks against a translation from scratch: the controller's cadence. */
    static final int VERIFY_EVERY = IncrementalTranslator.DEFAULT_VERIFY_EVERY;
    /** How long the directory stays unchanged before that check runs: never on an edit's path. */
    static final Duration VERIFY_IDLE = Duration.ofSeconds(5);
    private final int verifyEvery;
    private final long verifyIdleNanos;
    /** {@link #WATCHED_POLL}; tests shorten it. */
    private final long watchedPollNanos;
    /** A scan found a change no notification announced: polled every {@link #POLL} since. */
    private volatile boolean notificationsMissed;
    private final long settleNanos;
    private final java.util.concurrent.atomic.AtomicLong settleRestarts = new java.util.concurrent.atomic.AtomicLong();
    private long settleLoggedAt = Long.MIN_VALUE;
    private int sinceVerified;
    private long reloadedAt = System.nanoTime();
    private Set<String> reported = Set.of();
    private volatile Translation translation;
    private final String defaultCertificate;
    private final Clock clock;
    private Instant translatedAt = Instant.EPOCH;
    private final dev.gatehouse.controller.translate.CertificateCache certificateCache =
            new dev.gatehouse.controller.translate.CertificateCache();

    public LocalSource(Path dir, SnapshotPublisher publisher) {
        this(dir, publisher, null, Clock.systemUTC());
    }

    /**
     * @param defaultCertificate the {@code --default-certificate-secret}, {@code namespace/name} of a Secret in
     *                           the directory; null for none
     * @param clock              the time certificates are checked against
     */
    public LocalSource(Path dir, SnapshotPublisher publisher, String defaultCertificate, Clock clock) {
        this(dir, publisher, defaultCertificate, clock, SETTLE);
    }

    /** @param settle how long the directory stays the same before a change is read ({@code --settle}, 0..10 s) */
    public LocalSource(Path dir, SnapshotPublisher publisher, String defaultCertificate, Clock clock, Duration settle) {
        this(dir, publisher, defaultCertificate, clock, VERIFY_EVERY, VERIFY_IDLE, settle, WATCHED_POLL);
    }

    /** As above, with the check's cadence: after {@code verifyEvery} translations, once quiet for {@code verifyIdle}; for tests. */
    LocalSource(Path dir, SnapshotPublisher publisher, String defaultCertificate, Clock clock, int verifyEvery, Duration verifyIdle) {
        this(dir, publisher, defaultCertificate, clock, verifyEvery, verifyIdle, SETTLE, WATCHED_POLL);
    }

    /** As the public ones, with a shorter scan for what notifications missed; for tests. */
    LocalSource(Path dir, SnapshotPublisher publisher, Duration watchedPoll) {
        this(dir, publisher, null, Clock.systemUTC(), VERIFY_EVERY, VERIFY_IDLE, SETTLE, watchedPoll);
    }

    private LocalSource(Path dir, SnapshotPublisher publisher, String defaultCertificate, Clock clock, int verifyEvery,
                        Duration verifyIdle, Duration settle, Duration watchedPoll) {
        if (verifyEvery < 1) {
            throw new IllegalArgumentException("verifyEvery: " + verifyEvery + " (expected: >= 1)");
        }
        if (settle.isNegative() || settle.compareTo(MAX_SETTLE) > 0) {
            throw new IllegalArgumentException("--settle: " + settle.toMillis() + "ms (expected: 0ms..10s)");
        }
        this.settleNanos = settle.toNanos();
        this.verifyEvery = verifyEvery;
        this.verifyIdleNanos = verifyIdle.toNanos();
        this.watchedPollNanos = watchedPoll.toNanos();
        this.dir = dir;
        this.publisher = publisher;
        this.keys = new LocalKeys(dir.resolve(KEY_STORE), true);
        this.scanner = new DirectoryScanner(dir);
        this.defaultCertificate = defaultCertificate == null ? null : TlsSettings.checkSecretRef(defaultCertificate);
        this.clock = clock;
    }

    /** Loads the directory once (failing if it cannot be read at all), then watches it. */
    public LocalSource start() throws IOException {
        watch = DirectoryWatch.open(dir); // first: a change during the first load wakes the first wait
        try {
            reload(scanner.scan());
        } catch (IOException | RuntimeException e) {
            watch.close();
            throw e;
        }
        poller = new Thread(this::watchLoop, "gatehouse-local-source");
        poller.setDaemon(true);
        poller.start();
        return this;
    }

    /**
     * Changes seen while waiting for the directory to settle, each of which restarted the wait: a
     * file still being written when a notification or a scan came, not read then. Many of them
     * against few reloads say writers pause mid-file for about {@code --settle}; raise it then.
     */
    public long settleRestarts() {
        return settleRestarts.get();
    }

    /**
     * True once a scan found a change that no notification of the file system announced: the
     * directory is polled every {@link #POLL} since, as where no watch can be had. Operators read it
     * as {@code gatehouse_local_notifications_missed} on the status port and in the log
     * ({@code event=local.notification_missed}).
     */
    public boolean notificationsMissed() {
        return notificationsMissed;
    }

    /** The last translation, with every object's status. */
    public Translation translation() {
        return translation;
    }

    /**
     * Scans when woken by a change or every {@link #WATCHED_POLL} ({@link #POLL} without a watch); a
     * state that differs from the one served is read once it has stayed the same for {@link #SETTLE}
     * (scanned again then, or earlier when another write wakes it, which starts the wait again).
     */
    private void watchLoop() {
        DirectoryState settling = null; // a changed state, read once unchanged until settleBy
        long settleBy = 0;
        while (!closed) {
            try {
                boolean notified = watch.watching() && !notificationsMissed;
                long scanEvery = notified ? watchedPollNanos : POLL.toNanos();
                long wait = settling == null ? scanEvery : settleBy - System.nanoTime();
                long verifyIn = reloadedAt + verifyIdleNanos - System.nanoTime();
                if (settling == null && sinceVerified >= verifyEvery && verifyIn > 0) { // the check once quiet, not a scan later
                    wait = Math.min(wait, verifyIn);
                }
                boolean woken = watch.await(wait);
                if (closed) {
                    return;
                }
                DirectoryState now = scanner.scan();
                if (now.equals(last)) {
                    settling = null; // changed and changed back, or nothing changed
                    if (certificatesAged()) {
                        reload(now);
                    } else if (sinceVerified >= verifyEvery && System.nanoTime() - reloadedAt >= verifyIdleNanos) {
                        verify(now);
                    }
                } else if (!now.equals(settling)) {
                    if (settling == null && notified && !woken && !watch.await(NOTIFICATION_GRACE.toNanos()) && !closed) {
                        noteMissedNotification();
                    }
                    if (settling != null) {
                        noteSettleRestart(); // written again while settling: not read half-way
                    }
                    settling = now; // still being written, maybe: read it when it has stayed so for --settle
                    settleBy = System.nanoTime() + settleNanos;
                } else if (System.nanoTime() - settleBy >= 0) {
                    settling = null;
                    reload(now);
                }
            } catch (InterruptedException e) {
                return; // closed
            } catch (IOException | RuntimeException e) {
                settling = null;
                if (!closed) {
                    log.warn("event=local.read_failed dir={} error=\"{}\"", dir, e.getMessage());
                }
            }
        }
    }

    /** A change found by a scan alone: the file system's notifications cannot be relied on here. */
    private void noteMissedNotification() {
        notificationsMissed = true;
        log.info("event=local.notification_missed dir={} meaning=\"a file changed and the file system did not notify; "
                + "on a network or virtual file system, or through a hard link elsewhere\" action=poll interval_ms={}", dir, POLL.toMillis());
    }

    /** Counts a restarted settle wait; logs at most once a minute (the poller's thread only). */
    private void noteSettleRestart() {
        long n = settleRestarts.incrementAndGet();
        long now = System.nanoTime();
        if (settleLoggedAt == Long.MIN_VALUE || now - settleLoggedAt >= java.util.concurrent.TimeUnit.MINUTES.toNanos(1)) {
            settleLoggedAt = now;
            log.info("event=local.settle_restarted dir={} settle_ms={} restarts_total={} meaning=\"a file changed again while "
                    + "the directory settled; it was read once writes stopped\" knob=--settle", dir, settleNanos / 1_000_000, n);
        }
    }

    /**
     * Translates the directory again with the incremental translation checked against one from
     * scratch: a difference is logged ({@code event=translate.mismatch}) and the full one published.
     */
    private synchronized void verify(DirectoryState state) throws IOException {
        translator.verifyNext();
        reload(state);
        sinceVerified = 0;
    }

    /** Translations checked against a translation from scratch so far; for tests. */
    synchronized long verified() {
        return translator.verified();
    }

    private synchronized void reload(DirectoryState state) throws IOException {
        last = state;
        sinceVerified++;
        reloadedAt = System.nanoTime();
        LocalDirectory read = LocalDirectory.read(dir, parsed, state.digests());
        LocalDirectory merged = keepLastGoodOfBrokenFiles(read);
        lastGood = merged;
        List<HasMetadata> objects = new ArrayList<>(merged.objects());
        objects.addAll(keys.secretsFor(merged.objects()));
        translatedAt = clock.instant();
        Translation t = translator.translate(ManifestReader.state(objects), IngressSelection.DEFAULT,
                new TlsSettings(defaultCertificate, translatedAt, certificateCache));
        translation = t;
        int refused = report(merged, t);
        Snapshot next = versions.next(t.snapshot());
        if (next != null) {
            log.info("event=local.snapshot version={} routes={} services={} upstreams={} consumers={} refused={}",
                    next.version(), next.routes().size(), next.services().size(), next.upstreams().size(),
                    next.consumers().size(), refused);
            publisher.publish(next, versions.lastHash());
        }
    }

    /**
     * Certificates expire, and become valid (notBefore), with no file changing: with any certificate in
     * play or refused, the directory is translated again every {@link #CERTIFICATE_RECHECK}, so an
     * expired one leaves the snapshot, one valid from now on joins it, and a near expiry is told.
     */
    private boolean certificatesAged() {
        Translation t = translation;
        // the clock first: certificateRefused() walks every status, and this runs on every poll
        return t != null && Duration.between(translatedAt, clock.instant()).compareTo(CERTIFICATE_RECHECK) >= 0
                && (!t.snapshot().certificates().isEmpty() || defaultCertificate != null || t.certificateRefused());
    }

    /** Files that are not YAML at all keep the objects they had in the last good read. */
    private LocalDirectory keepLastGoodOfBrokenFiles(LocalDirectory read) {
        if (lastGood == null) {
            return read;
        }
        Set<String> broken = new HashSet<>();
        for (ManifestReader.FileError e : read.errors()) {
            if (e.object().equals("(file)")) {
                broken.add(e.file());
            }
        }
        if (broken.isEmpty()) {
            return read;
        }
        List<HasMetadata> objects = new ArrayList<>(read.objects());
        var fileOf = new java.util.LinkedHashMap<>(read.fileOf());
        for (HasMetadata o : lastGood.objects()) {
            String id = o.getKind() + "/" + dev.gatehouse.controller.translate.Sources.key(o);
            String file = lastGood.fileOf().get(id);
            if (broken.contains(file) && fileOf.putIfAbsent(id, file) == null) {
                objects.add(o);
            }
        }
        return new LocalDirectory(read.dir(), read.files(), objects, fileOf, read.errors(), read.skipped());
    }

    /**
     * Logs each problem not logged at the last reload; returns the objects refused. Only the
     * statuses with problems are looked at further (tens of thousands of objects, nearly all fine).
     */
    private int report(LocalDirectory d, Translation t) {
        Set<String> now = new HashSet<>();
        for (ManifestReader.FileError e : d.errors()) {
            now.add(e.toString());
        }
        int refused = 0;
        for (ObjectStatus s : t.statuses()) {
            if (!s.accepted()) {
                refused++;
            }
            if (s.problems().isEmpty()) {
                continue;
            }
            String display = s.source().display();
            String file = d.fileOf().getOrDefault(display, "?");
            for (String p : s.problems()) {
                now.add(file + ": " + display + ": " + p);
            }
        }
        DefaultCertificate dc = t.defaultCertificate();
        if (dc != null && dc.message() != null) {
            now.add(dc.message());
        }
        for (String p : now) {
            if (!reported.contains(p)) {
                log.warn("event=local.problem problem=\"{}\"", p.replace("\"", "'"));
            }
        }
        reported = now;
        return refused;
    }

    /** Files parsed since start (an unchanged file is parsed once); for tests. */
    public synchronized long parses() {
        return parsed.parses();
    }

    /** Files read by reloads since start (a file whose bytes the poll saw parsed already is not read again); for tests. */
    synchronized long reloadReads() {
        return parsed.reads();
    }

    /** Files read by the polls since start (an unchanged file is not read again); for tests. */
    long pollReads() {
        return scanner.reads();
    }

    /** Stops watching; a reload under way is interrupted, and nothing is published after this returns (within 10 s). */
    @Override
    public void close() {
        closed = true;
        if (watch != null) {
            watch.close();
        }
        Thread t = poller;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
