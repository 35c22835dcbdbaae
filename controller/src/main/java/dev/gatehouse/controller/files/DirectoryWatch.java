package dev.gatehouse.controller.files;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Wakes local mode's poller as soon as the directory changes: the file system's own notification
 * ({@link WatchService}; inotify on Linux, delivered within a millisecond), so an edit is read
 * without waiting for the next poll. Only a wake-up: what changed is always found by a scan, so
 * a coalesced event or an overflow costs nothing, and a lost one (a file system that sends none,
 * e.g. NFS, or a {@link WatchService} that itself polls, as on macOS) at most one
 * {@link LocalSource#WATCHED_POLL}, after which {@link LocalSource} polls every
 * {@link LocalSource#POLL}. When no
 * watch can be had (the inotify instance limit reached, say) it waits the full interval, and
 * says so once.
 */
final class DirectoryWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DirectoryWatch.class);
    private final Path dir;
    /** Null when there is none, or once lost (the directory removed) or closed: {@link #await} then sleeps. */
    private volatile WatchService service;

    private DirectoryWatch(Path dir, WatchService service) {
        this.dir = dir;
        this.service = service;
    }

    /** A watch of {@code dir}'s entries, or one that only waits when the file system offers none. */
    static DirectoryWatch open(Path dir) {
        WatchService service = null;
        try {
            service = dir.getFileSystem().newWatchService();
            dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | UnsupportedOperationException e) {
            closeQuietly(service);
            service = null;
            log.warn("event=local.watch_unavailable dir={} error=\"{}\" action=poll_only interval_ms={}", dir, e.getMessage(),
                    LocalSource.POLL.toMillis());
        }
        return new DirectoryWatch(dir, service);
    }

    /** True when changes wake {@link #await} early. */
    boolean watching() {
        return service != null;
    }

    /**
     * Waits up to {@code nanos} for a change in the directory; returns true when one woke it (its
     * events consumed: a scan finds what they were), false when the time ran out or the watch is closed.
     */
    boolean await(long nanos) throws InterruptedException {
        WatchService service = this.service;
        if (service == null) {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, nanos));
            return false;
        }
        try {
            WatchKey key = nanos <= 0 ? service.poll() : service.poll(nanos, TimeUnit.NANOSECONDS);
            boolean woken = false;
            while (key != null) {
                woken = true;
                key.pollEvents(); // an OVERFLOW among them says nothing more than "look again"
                if (!key.reset()) { // the directory went away: the scan reports it; polling goes on
                    log.warn("event=local.watch_lost dir={} action=poll_only interval_ms={}", dir, LocalSource.POLL.toMillis());
                    this.service = null;
                    closeQuietly(service);
                    return true;
                }
                key = service.poll();
            }
            return woken;
        } catch (ClosedWatchServiceException e) {
            return false; // closed by close(): the poller stops
        }
    }

    @Override
    public void close() {
        WatchService service = this.service;
        this.service = null;
        closeQuietly(service);
    }

    private static void closeQuietly(WatchService service) {
        if (service == null) {
            return;
        }
        try {
            service.close();
        } catch (IOException e) {
            log.debug("event=local.watch_close_failed error=\"{}\"", e.getMessage());
        }
    }
}
