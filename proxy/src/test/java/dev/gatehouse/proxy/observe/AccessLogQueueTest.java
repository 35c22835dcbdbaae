package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.http.TrustedProxies;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The batching writer: per-loop buffers, the bounded queue of chunks, the flush timer and the hand-over on close. */
class AccessLogQueueTest {
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final ProxyMetrics metrics = new ProxyMetrics(new SimpleMeterRegistry());

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** An output that blocks in its first write until released, then collects. */
    private static final class StuckOutput extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (written) {
                written.write(b, off, len);
            }
        }

        String text() {
            synchronized (written) {
                return written.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** Finishes one record per id on {@code loop}, then hands the loop's buffer over when {@code flush}. */
    private static void finishOn(EventLoop loop, RequestObserver observer, AccessLog log, boolean flush, String... ids) {
        loop.submit(() -> {
            for (String id : ids) {
                record(observer, id).finish(1);
            }
            if (flush) {
                log.flushCurrentLoop();
            }
        }).syncUninterruptibly();
    }

    /** {@code prefix + 0 .. prefix + (n - 1)}. */
    private static String[] ids(String prefix, int n) {
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            ids[i] = prefix + i;
        }
        return ids;
    }

    /** The lines of {@code text} with the time and the latency (which vary) replaced by T and L. */
    private static List<String> normalizedLines(String text) {
        return text.lines()
                .map(l -> l.replaceFirst("^\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"", "{\"time\":T")
                        .replaceFirst("\"latency_ms\":\\d+\\.\\d{3}", "\"latency_ms\":L"))
                .toList();
    }

    private static RequestRecord record(RequestObserver observer, String id) {
        RequestRecord r = new RequestRecord(observer, "GET", "HTTP/1.1", "/p?apikey=k", id, null);
        r.replied(404, 10);
        return r;
    }

    @Test
    void aFullQueueDropsAndCountsWholeChunksWithoutBlockingTheLoop() {
        StuckOutput out = new StuckOutput();
        AccessLog log = new AccessLog(out, false, metrics.accessLogDropped(), 1, 64 * 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        EventLoop loop = loops.next();
        try {
            finishOn(loop, observer, log, true, "r1");
            assertThat(awaitUninterruptibly(out.entered)).isTrue(); // the writer holds r1's chunk
            finishOn(loop, observer, log, true, "r2", "r3"); // one chunk of two lines: queued
            finishOn(loop, observer, log, true, "r4", "r5", "r6"); // the queue is full: three lines dropped
            assertThat(metrics.accessLogDropped().count()).isEqualTo(3.0);
            finishOn(loop, observer, log, false, "r7"); // waits in the loop's buffer
        } finally {
            out.release.countDown();
            observer.close();
        }
        assertThat(out.text().lines().map(l -> l.replaceAll(".*\"request_id\":\"(r\\d)\".*", "$1")))
                .containsExactly("r1", "r2", "r3", "r7");
        assertThat(metrics.accessLogDropped().count()).isEqualTo(3.0);
    }

    @Test
    void aQuietLoopsLinesAreWrittenWithinTheFlushInterval() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(synchronizedStream(out), false, metrics.accessLogDropped(), 4, 64 * 1024, 20);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        try {
            finishOn(loops.next(), observer, log, false, "q1");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!text(out).contains("\"q1\"") && System.nanoTime() < deadline) {
                Thread.sleep(5); // polling the file a user tails; the timer, not this loop, writes it
            }
            assertThat(text(out)).contains("\"request_id\":\"q1\"");
        } finally {
            observer.close();
        }
    }

    @Test
    void closeHandsOverEveryLoopsBufferAndFullChunksRollOver() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // small chunks: a few lines each, so lines roll over into new chunks many times
        AccessLog log = new AccessLog(synchronizedStream(out), false, metrics.accessLogDropped(), 1024, 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        int perLoop = 500;
        for (int l = 0; l < 2; l++) {
            finishOn(loops.next(), observer, log, false, ids("l" + l + "-", perLoop));
        }
        observer.close(); // the loops still run: each hands over its own buffer
        List<String> lines = text(out).lines().toList();
        assertThat(lines).hasSize(2 * perLoop).allMatch(line -> line.startsWith("{\"time\":\"") && line.endsWith("}"));
        assertThat(lines.stream().map(line -> line.replaceAll(".*\"request_id\":\"([^\"]+)\".*", "$1")).distinct()).hasSize(2 * perLoop);
        assertThat(metrics.accessLogDropped().count()).isZero();
    }

    @Test
    void aLineFinishedOffTheLoopsAndOneAfterCloseAreHandledToo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(synchronizedStream(out), false, metrics.accessLogDropped(), 4, 64 * 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        record(observer, "off-loop").finish(1); // no loop attached: handed over on its own
        observer.close();
        record(observer, "late").finish(1);
        assertThat(text(out)).contains("\"off-loop\"").doesNotContain("\"late\"");
        assertThat(metrics.accessLogDropped().count()).isEqualTo(1.0);
    }

    /**
     * The exact line of a request whose path holds a quote, a backslash, a control character (as
     * the decoder would never pass one, but the formatter must still escape it) and non-ASCII
     * text; lines around one longer than a chunk stay whole and in order.
     */
    @Test
    void linesAreExactlyTheJsonOfTheRecordAndALineLongerThanAChunkIsWrittenOnItsOwn() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(synchronizedStream(out), false, metrics.accessLogDropped(), 64, 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        EventLoop loop = loops.next();
        String odd = "/p/\"q\"/back\\slash/\u0001/é/中/\uD83D\uDE00?apikey=k&page=2";
        String huge = "/" + "h".repeat(3000);
        ClientAddress client = ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("203.0.113.7", 51544)).peer();
        metrics.redaction().add(List.of("apikey"));
        loop.submit(() -> {
            for (String path : new String[] {odd, huge, "/after"}) {
                RequestRecord r = new RequestRecord(observer, "GET", "HTTP/1.1", path, "id-" + path.length(), client);
                r.replied(404, 10);
                r.finish(1);
            }
        }).syncUninterruptibly();
        observer.close();
        List<String> lines = normalizedLines(text(out));
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo("{\"time\":T,\"request_id\":\"id-" + odd.length() + "\",\"client\":\"203.0.113.7:51544\","
                + "\"peer\":null,\"method\":\"GET\",\"protocol\":\"HTTP/1.1\","
                + "\"path\":\"/p/\\\"q\\\"/back\\\\slash/\\u0001/é/中/\uD83D\uDE00?apikey=REDACTED&page=2\","
                + "\"route\":null,\"service\":null,\"target\":null,\"status\":404,\"bytes_in\":0,\"bytes_out\":10,"
                + "\"latency_ms\":L,\"upstream_latency_ms\":null,\"retries\":0,\"consumer\":null,\"tls_version\":null,\"sni\":null}");
        assertThat(lines.get(1)).contains("\"path\":\"" + huge + "\"").endsWith("}");
        assertThat(lines.get(2)).contains("\"request_id\":\"id-6\"", "\"path\":\"/after\"");
        assertThat(metrics.accessLogDropped().count()).isZero();
    }

    /**
     * Every field of a line, exactly, with odd bytes where a client or a configuration can put them:
     * the path (a query with a key), the consumer's name, the route's and the target's; a client
     * behind a trusted proxy over IPv6, TLS, a retry. Keys and values are written as bytes straight
     * into the loop's chunk; the line must read as it always has.
     */
    @Test
    void aLineWithEveryFieldSetIsExactlyTheRecordsJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(synchronizedStream(out), false, metrics.accessLogDropped(), 64, 64 * 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        metrics.redaction().add(List.of("apikey"));
        RouteMetersFactory factory = metrics.factory();
        RouteMeters meters = factory.route("ns/r\"o\\ute", "ns/s\u00e9rvice", null, null, null);
        factory.commit();
        ForwardedFor rule = ForwardedFor.of(TrustedProxies.parse("::1/128"), new InetSocketAddress("::1", 40000));
        io.netty.handler.codec.http.HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders()
                .add("X-Forwarded-For", "2001:db8::7");
        ClientAddress client = rule.resolve(h);
        String consumer = "ali\"ce\\\u0007\u007f\u00e9\u4e2d\uD83D\uDE00\uD800";
        loops.next().submit(() -> {
            RequestRecord r = new RequestRecord(observer, "GET", "HTTP/2", "/p/\u00e9?apikey=k&x=\"\t", "id-1", client);
            r.tls(new dev.gatehouse.proxy.tls.ClientTls("TLSv1.3", "bench.local"));
            r.routed(meters, consumer);
            r.target("[2001:db8::9]:8443");
            r.bytesIn(5);
            r.responded(200, 811_400);
            r.bytesOut(61);
            r.finish(2);
        }).syncUninterruptibly();
        observer.close();
        List<String> lines = normalizedLines(text(out));
        assertThat(lines).containsExactly("{\"time\":T,\"request_id\":\"id-1\",\"client\":\"2001:db8::7\",\"peer\":\"[::1]:40000\","
                + "\"method\":\"GET\",\"protocol\":\"HTTP/2\",\"path\":\"/p/\u00e9?apikey=REDACTED&x=\\\"\\t\","
                + "\"route\":\"ns/r\\\"o\\\\ute\",\"service\":\"ns/s\u00e9rvice\",\"target\":\"[2001:db8::9]:8443\",\"status\":200,"
                + "\"bytes_in\":5,\"bytes_out\":61,\"latency_ms\":L,\"upstream_latency_ms\":0.811,\"retries\":1,"
                + "\"consumer\":\"ali\\\"ce\\\\\\u0007\u007f\u00e9\u4e2d\uD83D\uDE00?\",\"tls_version\":\"TLSv1.3\",\"sni\":\"bench.local\"}");
        assertThat(metrics.accessLogDropped().count()).isZero();
    }

    /**
     * A burst of a hundred chunks (the queue holds them all): every line arrives once, in the
     * order each loop finished them, however the writer gathers the chunks between its looks.
     */
    @Test
    void aBurstOfManyChunksIsWrittenWholeAndInOrder() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(synchronizedStream(out), false, metrics.accessLogDropped(), 256, 64 * 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        EventLoop loop = loops.next();
        int n = 20_000;
        finishOn(loop, observer, log, false, ids("b", n));
        observer.close();
        List<String> lines = text(out).lines().toList();
        assertThat(lines).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(lines.get(i)).contains("\"request_id\":\"b" + i + "\"").endsWith("}");
        }
        assertThat(metrics.accessLogDropped().count()).isZero();
    }

    /**
     * To a file, a look at the queue goes out in gathering writes of up to two chunks: with small
     * chunks thousands of lines from two loops make hundreds of chunks, every line arrives once,
     * each loop's in the order it finished them, and no write is given more than two chunks (the
     * writer's pieces between which an event loop gets the core back).
     */
    @Test
    void toAFileManyChunksGoOutInGatheringWritesWholeAndInOrder(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path path = dir.resolve("access.log");
        FullDiskFile file = new FullDiskFile(path, Long.MAX_VALUE);
        AccessLog log = new AccessLog(file, metrics.accessLogDropped(), 8192, 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        int perLoop = 3000;
        for (int l = 0; l < 2; l++) {
            finishOn(loops.next(), observer, log, false, ids("g" + l + "-", perLoop));
        }
        observer.close();
        List<String> lines = java.nio.file.Files.readAllLines(path);
        assertThat(lines).hasSize(2 * perLoop).allMatch(line -> line.startsWith("{\"time\":\"") && line.endsWith("}"));
        for (int l = 0; l < 2; l++) {
            String prefix = "g" + l + "-";
            List<String> ids = lines.stream().map(line -> line.replaceAll(".*\"request_id\":\"([^\"]+)\".*", "$1"))
                    .filter(id -> id.startsWith(prefix)).toList();
            assertThat(ids).hasSize(perLoop);
            for (int i = 0; i < perLoop; i++) {
                assertThat(ids.get(i)).isEqualTo(prefix + i);
            }
        }
        assertThat(metrics.accessLogDropped().count()).isZero();
        assertThat(file.largestWrite()).isGreaterThan(1024).isLessThanOrEqualTo(2 * 1024L);
    }

    /** A file that cannot be written: every line handed to the writer counts as dropped, none blocks a loop. */
    @Test
    void linesAFileCannotTakeCountAsDropped(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        FileChannel file = FileChannel.open(dir.resolve("access.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        AccessLog log = new AccessLog(file, metrics.accessLogDropped(), 64, 1024, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        file.close(); // every write now fails (ClosedChannelException)
        finishOn(loops.next(), observer, log, false, ids("x", 40));
        observer.close();
        assertThat(metrics.accessLogDropped().count()).isEqualTo(40.0);
    }

    /**
     * A disk that fills up in the middle of a gathering write: the file takes the first chunks and
     * part of the next, then fails. The lines whole in the file are not counted as dropped; every
     * other line is, the one cut in two included.
     */
    @Test
    void aWriteThatFailsPartWayCountsOnlyTheLinesNotWritten(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path path = dir.resolve("access.log");
        int capacity = 4096 + 2048; // a 4 KiB chunk holds whole lines only, so the file ends inside the second
        AccessLog log = new AccessLog(new FullDiskFile(path, capacity), metrics.accessLogDropped(), 64, 4096, 3_600_000);
        RequestObserver observer = new RequestObserver(metrics, log);
        observer.attach(loops);
        int total = 60; // about 5 chunks
        finishOn(loops.next(), observer, log, false, ids("w", total));
        observer.close();

        byte[] written = java.nio.file.Files.readAllBytes(path);
        assertThat(written).hasSize(capacity);
        String text = new String(written, StandardCharsets.UTF_8);
        List<String> whole = text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
        assertThat(whole.size()).as("more lines in the file than the first chunk's").isGreaterThan(4096 / whole.get(0).length());
        for (int i = 0; i < whole.size(); i++) {
            assertThat(whole.get(i)).contains("\"request_id\":\"w" + i + "\"").endsWith("}");
        }
        assertThat(metrics.accessLogDropped().count()).isEqualTo(total - whole.size());
    }

    private static boolean awaitUninterruptibly(CountDownLatch latch) {
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static OutputStream synchronizedStream(ByteArrayOutputStream out) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (out) {
                    out.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (out) {
                    out.write(b, off, len);
                }
            }
        };
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
