package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One JSON line per request, written off the event loops: the event loop hands a finished
 * {@link RequestRecord} to a bounded queue ({@link #offer} never blocks; when the queue is full
 * the line is dropped and {@code gatehouse_access_log_dropped_total} counts it), and one daemon
 * thread formats and writes the lines, flushing whenever the queue runs empty.
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
    /** Lines that may wait for the writer; beyond it lines are dropped. */
    public static final int QUEUE_CAPACITY = 16_384;

    private final BlockingQueue<RequestRecord> queue;
    private final Writer out;
    private final boolean closeOut;
    private final Counter dropped;
    private final Thread writer;
    private volatile boolean closed;

    AccessLog(Writer out, boolean closeOut, Counter dropped, int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.out = out;
        this.closeOut = closeOut;
        this.dropped = dropped;
        this.writer = new Thread(this::drain, "gatehouse-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** @return the access log, or null when {@code destination} is off */
    public static AccessLog open(AccessLogDestination destination, ProxyMetrics metrics) throws IOException {
        return switch (destination.kind()) {
            case OFF -> null;
            case STDOUT -> new AccessLog(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)), false,
                    metrics.accessLogDropped(), QUEUE_CAPACITY);
            case FILE -> new AccessLog(Files.newBufferedWriter(destination.file(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), true,
                    metrics.accessLogDropped(), QUEUE_CAPACITY);
        };
    }

    /** Queues the record's line; drops and counts it when the queue is full. Never blocks. */
    void offer(RequestRecord record) {
        if (closed || !queue.offer(record)) {
            dropped.increment();
        }
    }

    private void drain() {
        List<RequestRecord> batch = new ArrayList<>(256);
        StringBuilder line = new StringBuilder(512);
        while (true) {
            try {
                RequestRecord first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed) {
                        break;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 255);
                for (RequestRecord r : batch) {
                    line.setLength(0);
                    r.appendJson(line);
                    line.append('\n');
                    out.append(line);
                }
                batch.clear();
                if (queue.isEmpty()) {
                    out.flush();
                }
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException e) {
                batch.clear();
                LOG.warn("event=access_log.write_failed error=\"{}\"", e.toString());
            }
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

    /** Writes what is queued (waiting up to 2 s) and stops the writer. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
