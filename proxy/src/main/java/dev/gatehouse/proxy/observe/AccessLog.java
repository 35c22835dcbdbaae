package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.FastThreadLocal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One JSON line per request, batched per event loop and written by one thread with large writes.
 *
 * <p>How a line travels: the event loop that finishes a request formats it straight into UTF-8
 * bytes ({@link JsonLine}) and appends them to its own buffer, a chunk of {@value #CHUNK_BYTES}
 * bytes that only that loop touches (no lock, no atomic), in place: a line is formatted right
 * after the previous one in that chunk, never copied on the loop. A full chunk, or every
 * {@link #flushMillis() flush interval} a partly filled one, is handed to a bounded queue of
 * chunks — the only cross-thread step, once per chunk rather than once per line, and it wakes
 * nobody: one daemon thread looks at the queue every {@value #MAX_WRITER_TICK_MILLIS} ms (at most
 * the flush interval; at once when a quarter of the queue is waiting), writes each chunk queued
 * (to a file: up to {@value #GATHER_CHUNKS} chunks in one gathering {@code write}) and gives
 * them back for reuse. Formatting on the
 * loop costs the same CPU as formatting on the writer (the gateway's threads share its cores) but
 * keeps the per-line work to formatting into a warm buffer, and the record is garbage at once.
 *
 * <p>The limit: at most {@link #queueBytes()} bytes of chunks wait for the writer (default
 * {@value #DEFAULT_QUEUE_BYTES}, system property {@value #QUEUE_BYTES_PROPERTY}); the flush
 * interval is {@value #DEFAULT_FLUSH_MILLIS} ms by default (system property
 * {@value #FLUSH_MILLIS_PROPERTY}). When the writer falls that far behind (a slow or full disk),
 * the chunk a loop hands over is dropped: a request never waits for its log line. Every dropped
 * line counts in {@code gatehouse_access_log_dropped_total} and the event is logged,
 * rate-limited, as {@code event=access_log.dropped}. Lines that cannot be written (an I/O
 * error) count there too. While the disk keeps up, no line is lost; {@link #close()} hands over
 * every loop's buffer and writes what is queued.
 *
 * <p>Fields: {@code time} (ISO-8601 UTC, when the request arrived), {@code request_id},
 * {@code client} (the real client by the trusted-proxies rule: {@code ip:port} of the peer, or the
 * address taken from {@code X-Forwarded-For} when the peer is a trusted proxy), {@code peer} (that
 * trusted proxy's {@code ip:port}; null when the peer is not trusted), {@code method}, {@code protocol}
 * ({@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}; null for a request refused before its head was read), {@code path} (the request-target as received, the value of a
 * key-auth parameter replaced: see {@link QueryRedaction}), {@code route}, {@code service}, {@code target} (the last one
 * tried), {@code status}, {@code bytes_in} / {@code bytes_out} (bodies), {@code latency_ms},
 * {@code upstream_latency_ms} (null when no target answered), {@code retries} and
 * {@code consumer} (the username; never a key), {@code tls_version} and {@code sni} (the
 * connection's TLS version, e.g. {@code TLSv1.3}, and the server name its client asked for;
 * both null for cleartext, {@code sni} also when the client sent none).
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final RateLimitedLog DROPPED = RateLimitedLog.of(LOG, "access_log.dropped");
    private static final RateLimitedLog WRITE_FAILED = RateLimitedLog.of(LOG, "access_log.write_failed");

    public static final String QUEUE_BYTES_PROPERTY = "gatehouse.proxy.accessLogQueueBytes";
    public static final int DEFAULT_QUEUE_BYTES = 8 << 20;
    public static final String FLUSH_MILLIS_PROPERTY = "gatehouse.proxy.accessLogFlushMillis";
    public static final long DEFAULT_FLUSH_MILLIS = 200;
    /** One loop's buffer, and the size of one write. */
    static final int CHUNK_BYTES = 64 * 1024;
    /** How long the writer sleeps between looks at the queue (at most the flush interval). */
    static final long MAX_WRITER_TICK_MILLIS = 100;
    /**
     * The most chunks one gathering write takes (128 KiB of 64 KiB chunks; the JDK copies each into a
     * cached direct buffer): a piece of the writer's work short enough (about 0.1–0.3 ms here) that the
     * event loop it shares a core with waits no longer than that for the core (see {@link #drain()}).
     */
    static final int GATHER_CHUNKS = 2;
    private static final long CLOSING_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The buffer of the event loop this thread runs, when it is attached to an access log. */
    private static final FastThreadLocal<LoopBuffer> LOOP = new FastThreadLocal<>();

    private final BlockingQueue<Chunk> queue;
    private final BlockingQueue<Chunk> spare;
    private final int chunkBytes;
    private final long flushMillis;
    /** How long chunks gather between the writer's looks at the queue. */
    private final long writerTickNanos;
    /** A hand-over that leaves this little room (a quarter of the queue or more waiting) wakes the writer at once. */
    private final int wakeWhenRemaining;
    private final OutputStream out;
    /** The file {@link #out} writes to, for gathering writes; null for standard output (and tests' streams). */
    private final FileChannel file;
    private final boolean closeOut;
    private final Counter dropped;
    private final List<LoopBuffer> loops = new CopyOnWriteArrayList<>();
    private final Thread writer;
    private volatile boolean closed;
    /** Set by {@link #close()} (nanoTime, never 0): until then a hand-over waits for room instead of dropping. */
    private volatile long closingDeadline;

    /**
     * @param queueChunks how many full chunks may wait for the writer
     * @param chunkBytes  the size of each loop's buffer
     */
    AccessLog(OutputStream out, boolean closeOut, Counter dropped, int queueChunks, int chunkBytes, long flushMillis) {
        this(out, null, closeOut, dropped, queueChunks, chunkBytes, flushMillis);
    }

    /** Appends to {@code file}: the chunks of one look at the queue go out in gathering writes of up to {@value #GATHER_CHUNKS}. */
    AccessLog(FileChannel file, Counter dropped, int queueChunks, int chunkBytes, long flushMillis) {
        this(Channels.newOutputStream(file), file, true, dropped, queueChunks, chunkBytes, flushMillis);
    }

    private AccessLog(OutputStream out, FileChannel file, boolean closeOut, Counter dropped, int queueChunks, int chunkBytes,
                      long flushMillis) {
        if (queueChunks < 1) {
            throw new IllegalArgumentException("queueChunks: " + queueChunks + " (expected: >= 1)");
        }
        if (chunkBytes < 256) {
            throw new IllegalArgumentException("chunkBytes: " + chunkBytes + " (expected: >= 256)");
        }
        if (flushMillis < 1) {
            throw new IllegalArgumentException("flushMillis: " + flushMillis + " (expected: >= 1)");
        }
        this.queue = new ArrayBlockingQueue<>(queueChunks);
        this.spare = new ArrayBlockingQueue<>(queueChunks);
        this.chunkBytes = chunkBytes;
        this.flushMillis = flushMillis;
        this.writerTickNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_WRITER_TICK_MILLIS, flushMillis));
        this.wakeWhenRemaining = queueChunks - Math.max(1, queueChunks / 4);
        this.out = out;
        this.file = file;
        this.closeOut = closeOut;
        this.dropped = dropped;
        this.writer = new Thread(this::drain, "gatehouse-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** @return the access log, or null when {@code destination} is off */
    public static AccessLog open(AccessLogDestination destination, ProxyMetrics metrics) throws IOException {
        int queueBytes = Integer.getInteger(QUEUE_BYTES_PROPERTY, DEFAULT_QUEUE_BYTES);
        if (queueBytes < CHUNK_BYTES) {
            throw new IllegalArgumentException(QUEUE_BYTES_PROPERTY + ": " + queueBytes + " (expected: >= " + CHUNK_BYTES + ")");
        }
        long flush = Long.getLong(FLUSH_MILLIS_PROPERTY, DEFAULT_FLUSH_MILLIS);
        if (flush < 1 || flush > 60_000) {
            throw new IllegalArgumentException(FLUSH_MILLIS_PROPERTY + ": " + flush + " (expected: 1..60000)");
        }
        int chunks = queueBytes / CHUNK_BYTES;
        return switch (destination.kind()) {
            case OFF -> null;
            case STDOUT -> new AccessLog(System.out, false, metrics.accessLogDropped(), chunks, CHUNK_BYTES, flush);
            case FILE -> new AccessLog(FileChannel.open(destination.file(), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE), metrics.accessLogDropped(), chunks, CHUNK_BYTES, flush);
        };
    }

    /** The bytes of lines that may wait for the writer. */
    public long queueBytes() {
        return (long) (queue.remainingCapacity() + queue.size()) * chunkBytes;
    }

    /** How long a line may sit in a quiet event loop's buffer. */
    public long flushMillis() {
        return flushMillis;
    }

    /**
     * Gives every event loop of {@code group} its own buffer and its flush timer. Lines finished
     * on any other thread (or before the loop ran this) are handed over one by one.
     */
    public void attach(EventExecutorGroup group) {
        for (EventExecutor loop : group) {
            loop.execute(() -> {
                LoopBuffer b = new LoopBuffer(loop);
                LOOP.set(b);
                loops.add(b);
            });
            loop.scheduleAtFixedRate(this::flushCurrentLoop, flushMillis, flushMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Formats the record's line into this loop's buffer. Never blocks. */
    void offer(RequestRecord record) {
        LoopBuffer b = LOOP.getIfExists();
        if (b != null && b.log() == this) {
            b.append(record);
            return;
        }
        JsonLine line = new JsonLine();
        record.appendJson(line);
        line.ascii('\n');
        Chunk c = new Chunk(Arrays.copyOfRange(line.bytes(), line.start(), line.length()));
        c.length = line.length();
        c.lines = 1;
        enqueue(c);
    }

    /** Hands this event loop's partly filled buffer to the writer (the flush timer; tests). */
    void flushCurrentLoop() {
        LoopBuffer b = LOOP.getIfExists();
        if (b != null && b.log() == this) {
            b.handOff();
        }
    }

    private boolean enqueue(Chunk c) {
        if (!closed && queue.offer(c)) {
            if (queue.remainingCapacity() <= wakeWhenRemaining || closingDeadline != 0) {
                LockSupport.unpark(writer);
            }
            return true;
        }
        long deadline = closingDeadline;
        if (!closed && deadline != 0) { // shutting down: the last buffers wait for the writer rather than drop
            LockSupport.unpark(writer);
            try {
                if (queue.offer(c, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        dropped.increment(c.lines);
        DROPPED.warn("lines={} reason={} queue_bytes={}", c.lines, closed ? "closed" : "queue_full", queueBytes());
        return false;
    }

    private Chunk freshChunk() {
        Chunk c = spare.poll();
        return c != null ? c : new Chunk(new byte[chunkBytes]);
    }

    /**
     * The writer: wakes every {@link #writerTickNanos} (or when a hand-over finds the queue a quarter
     * full, or on shutdown), writes every chunk queued and sleeps again. So a loop's hand-over wakes
     * nobody (no futex per chunk) and a wake-up writes a tick's chunks, while the quarter-full wake
     * keeps a burst from filling the queue before the writer looks. Stops after the first pass that
     * began once {@link #close()} had handed every loop's buffer over.
     *
     * <p>A look's chunks go out in pieces of at most {@value #GATHER_CHUNKS} chunks with a
     * {@link Thread#yield()} between two: the writer shares the gateway's cores with the event loops,
     * and a tick's megabyte written in one run held a loop off its core for a millisecond or more ten
     * times a second (the scheduler lets a thread that wakes after a long sleep run for a whole time
     * slice), which is where the requests of the p99 at full load were. A yield with no loop waiting
     * returns at once; one with a loop waiting gives it the core after each piece.
     */
    private void drain() {
        List<Chunk> batch = new ArrayList<>();
        while (true) {
            boolean last = closed; // read before draining: what was queued before close() got this far is written
            queue.drainTo(batch);
            if (!batch.isEmpty()) {
                int piece = file != null ? GATHER_CHUNKS : 1;
                for (int from = 0; from < batch.size(); from += piece) {
                    if (from > 0) {
                        Thread.yield();
                    }
                    if (file != null) {
                        writeGathered(batch.subList(from, Math.min(batch.size(), from + piece)));
                    } else {
                        write(batch.get(from));
                    }
                }
                batch.clear();
                try {
                    out.flush();
                } catch (IOException e) {
                    WRITE_FAILED.warn("error=\"{}\"", e.toString());
                }
            }
            if (last) {
                break;
            }
            // the next tick; shutting down, look again soon: the last buffers are on their way
            LockSupport.parkNanos(this, closingDeadline == 0 ? writerTickNanos : CLOSING_TICK_NANOS);
        }
        try {
            out.flush();
            if (closeOut) {
                out.close();
            }
        } catch (IOException e) {
            LOG.warn("event=access_log.close_failed error=\"{}\"", e.toString());
        }
    }

    private void write(Chunk c) {
        try {
            out.write(c.bytes, 0, c.length);
        } catch (IOException | RuntimeException e) {
            dropped.increment(c.lines);
            WRITE_FAILED.warn("lines={} error=\"{}\"", c.lines, e.toString());
        }
        recycle(c);
    }

    /**
     * The chunks in order with one {@code writev} (more when the file takes part of them). When a
     * write fails, the lines not in the file count as dropped: every line of the chunks not begun,
     * and of a chunk the file took part of, those its written bytes do not hold whole (lines end
     * with {@code \n}, which no line holds otherwise).
     */
    private void writeGathered(List<Chunk> chunks) {
        ByteBuffer[] buffers = new ByteBuffer[chunks.size()];
        for (int i = 0; i < buffers.length; i++) {
            Chunk c = chunks.get(i);
            buffers[i] = ByteBuffer.wrap(c.bytes, 0, c.length);
        }
        int done = 0;
        try {
            while (done < buffers.length) {
                file.write(buffers, done, buffers.length - done);
                while (done < buffers.length && !buffers[done].hasRemaining()) {
                    done++;
                }
            }
        } catch (IOException | RuntimeException e) {
            long lines = 0;
            for (int i = done; i < buffers.length; i++) {
                lines += chunks.get(i).lines;
            }
            if (done < buffers.length) {
                lines -= wholeLines(chunks.get(done).bytes, buffers[done].position());
            }
            dropped.increment(lines);
            WRITE_FAILED.warn("lines={} error=\"{}\"", lines, e.toString());
        }
        for (Chunk c : chunks) {
            recycle(c);
        }
    }

    /** The lines that end in {@code bytes[0, end)}. */
    private static int wholeLines(byte[] bytes, int end) {
        int n = 0;
        for (int i = 0; i < end; i++) {
            if (bytes[i] == '\n') {
                n++;
            }
        }
        return n;
    }

    private void recycle(Chunk c) {
        if (c.bytes.length == chunkBytes) {
            c.length = 0;
            c.lines = 0;
            spare.offer(c);
        }
    }

    /**
     * Hands over every event loop's buffer (waiting up to 2 s for room in the queue rather than
     * dropping), writes what is queued (waiting up to 2 s) and stops the writer. Lines finished afterwards are dropped and counted. Call after the event loops
     * stopped (as {@code ProxyServer} does) or while they run; a loop still running hands over its
     * own buffer.
     */
    @Override
    public void close() {
        closingDeadline = (System.nanoTime() + TimeUnit.SECONDS.toNanos(2)) | 1;
        for (LoopBuffer b : loops) {
            EventExecutor loop = b.loop;
            if (!loop.isShuttingDown()) {
                try {
                    if (loop.submit(b::handOff).awaitUninterruptibly(2, TimeUnit.SECONDS)) {
                        continue;
                    }
                } catch (RejectedExecutionException e) {
                    // stopping: wait for it below
                }
            }
            try {
                if (loop.awaitTermination(2, TimeUnit.SECONDS)) {
                    b.handOff(); // the loop is gone: its buffer is this thread's now
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Bytes of lines; {@code lines} of them. Full chunks of {@code chunkBytes} are reused. */
    private static final class Chunk {
        final byte[] bytes;
        int length;
        int lines;

        Chunk(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    /** One event loop's buffer: only that loop touches it while it runs. */
    private final class LoopBuffer {
        final EventExecutor loop;
        final JsonLine line = new JsonLine();
        Chunk chunk = freshChunk();

        LoopBuffer(EventExecutor loop) {
            this.loop = loop;
        }

        AccessLog log() {
            return AccessLog.this;
        }

        /**
         * Formats the line in place, after the chunk's last line. One that does not fit in what is
         * left spilled into the line's own array: the chunk goes to the writer and the line starts
         * the next one (or, longer than a chunk, is written on its own).
         */
        void append(RequestRecord record) {
            line.into(chunk.bytes, chunk.length);
            record.appendJson(line);
            line.ascii('\n');
            if (line.bytes() == chunk.bytes) {
                chunk.length = line.length();
                chunk.lines++;
                return;
            }
            int n = line.length() - line.start();
            handOff();
            if (n > chunk.bytes.length) { // longer than a chunk (a very long path): its own write
                Chunk own = new Chunk(Arrays.copyOfRange(line.bytes(), line.start(), line.length()));
                own.length = n;
                own.lines = 1;
                enqueue(own);
                return;
            }
            System.arraycopy(line.bytes(), line.start(), chunk.bytes, 0, n);
            chunk.length = n;
            chunk.lines = 1;
        }

        void handOff() {
            if (chunk.lines == 0) {
                return;
            }
            if (enqueue(chunk)) {
                chunk = freshChunk();
            } else {
                chunk.length = 0;
                chunk.lines = 0;
            }
        }
    }
}
