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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Local mode's stand-in for the informers: polls a directory, and on any change reads it,
 * adds the generated keys, translates and publishes the snapshot (unchanged snapshots are not
 * published). Polling (every {@link #POLL}) sees changed, added and removed files within a
 * second whatever editor wrote them. A change is read once the directory has stayed the same for
 * one poll, so a file caught between its truncation and its write (which is valid YAML: empty, or a
 * prefix) is never served; a file that is not valid YAML keeps its last good objects, so a
 * half-saved file never takes routes down; every problem is logged once.
 */
public final class LocalSource implements AutoCloseable {
    public static final Duration POLL = Duration.ofMillis(100);
    /** How often the directory is translated again, unchanged, while certificates are in play (they expire). */
    public static final Duration CERTIFICATE_RECHECK = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(LocalSource.class);

    private final Path dir;
    private final SnapshotPublisher publisher;
    /** Where generated keys are kept, under the directory. */
    static final String KEY_STORE = ".gatehouse";
    private final LocalKeys keys;
    private final SnapshotVersions versions = new SnapshotVersions(System::currentTimeMillis);
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-local-source");
        t.setDaemon(true);
        return t;
    });
    private DirectoryState last;
    /** A changed state seen by the last poll, read when the next poll finds it unchanged. */
    private DirectoryState settling;
    private LocalDirectory lastGood;
    /** Fingerprints the directory on each poll, reading only files that may have changed. */
    private final DirectoryScanner scanner;
    /** Each file's objects, parsed again only when its bytes change. */
    private final ParsedFiles parsed = new ParsedFiles();
    /**
     * Translates the objects of changed files (and what reads them) only: the files not changed
     * keep their parsed objects ({@link ParsedFiles}), the same Java objects, so their outcomes are
     * reused. Used under this source's lock.
     */
    private final IncrementalTranslator translator = new IncrementalTranslator();
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
        this.dir = dir;
        this.publisher = publisher;
        this.keys = new LocalKeys(dir.resolve(KEY_STORE), true);
        this.scanner = new DirectoryScanner(dir);
        this.defaultCertificate = defaultCertificate == null ? null : TlsSettings.checkSecretRef(defaultCertificate);
        this.clock = clock;
    }

    /** Loads the directory once (failing if it cannot be read at all), then polls it. */
    public LocalSource start() throws IOException {
        reload(scanner.scan());
        poller.scheduleWithFixedDelay(this::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The last translation, with every object's status. */
    public Translation translation() {
        return translation;
    }

    private void poll() {
        try {
            DirectoryState now = scanner.scan();
            if (!now.equals(last) && !now.equals(settling)) {
                settling = now; // still being written, maybe: read it when it has stayed so for one poll
                return;
            }
            settling = null;
            if (!now.equals(last) || certificatesAged()) {
                reload(now);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("event=local.read_failed dir={} error=\"{}\"", dir, e.getMessage());
        }
    }

    private synchronized void reload(DirectoryState state) throws IOException {
        last = state;
        LocalDirectory read = LocalDirectory.read(dir, parsed);
        LocalDirectory merged = keepLastGoodOfBrokenFiles(read);
        lastGood = merged;
        List<HasMetadata> objects = new ArrayList<>(merged.objects());
        objects.addAll(keys.secretsFor(merged.objects()));
        translatedAt = clock.instant();
        Translation t = translator.translate(ManifestReader.state(objects), IngressSelection.DEFAULT,
                new TlsSettings(defaultCertificate, translatedAt, certificateCache));
        translation = t;
        report(merged, t);
        Snapshot next = versions.next(t.snapshot());
        if (next != null) {
            log.info("event=local.snapshot version={} routes={} services={} upstreams={} consumers={} refused={}",
                    next.version(), next.routes().size(), next.services().size(), next.upstreams().size(),
                    next.consumers().size(), t.rejected().size());
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

    private void report(LocalDirectory d, Translation t) {
        Set<String> now = new HashSet<>();
        for (ManifestReader.FileError e : d.errors()) {
            now.add(e.toString());
        }
        for (ObjectStatus s : t.statuses()) {
            String file = d.fileOf().getOrDefault(s.source().display(), "?");
            for (String p : s.problems()) {
                now.add(file + ": " + s.source().display() + ": " + p);
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
    }

    /** Files parsed since start (an unchanged file is parsed once); for tests. */
    public synchronized long parses() {
        return parsed.parses();
    }

    /** Files read by the polls since start (an unchanged file is not read again); for tests. */
    long pollReads() {
        return scanner.reads();
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
