package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.OutputStream;
import java.util.concurrent.ExecutionException;

/**
 * What observing one request costs the event loop: a {@link RequestRecord} made, finished
 * (counted into the unmatched route's meters) and, with {@code log=on}, formatted into the loop's
 * access-log buffer and handed to the writer a 64 KiB chunk at a time (the writer writes to a
 * sink that discards). {@code log=off} is the same without the access log, so the difference is
 * the log's share. 10 000 requests per invocation on a real event loop, so the hop onto it is
 * spread thin. In the proxy's package: the record's constructor is not public.
 */
@State(Scope.Benchmark)
public class AccessLogBench {
    static final int BATCH = 10_000;

    @Param({"on", "off"})
    public String log;

    private DefaultEventLoop loop;
    private RequestObserver observer;

    @Setup
    public void setUp() {
        ProxyMetrics metrics = new ProxyMetrics(new SimpleMeterRegistry());
        AccessLog accessLog = log.equals("on") ? new AccessLog(OutputStream.nullOutputStream(), false, metrics.accessLogDropped(),
                AccessLog.DEFAULT_QUEUE_BYTES / AccessLog.CHUNK_BYTES, AccessLog.CHUNK_BYTES, AccessLog.DEFAULT_FLUSH_MILLIS) : null;
        observer = new RequestObserver(metrics, accessLog);
        loop = new DefaultEventLoop();
        observer.attach(loop);
    }

    @TearDown
    public void tearDown() {
        observer.close();
        loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void finish() throws ExecutionException, InterruptedException {
        loop.submit(() -> {
            for (int i = 0; i < BATCH; i++) {
                RequestRecord r = new RequestRecord(observer, "GET", "HTTP/1.1", "/profile?page=2", "4f1c2a9e-7b3d-4e8f-9a01-23456789abcd",
                        null);
                r.target("10.1.2.3:9001");
                r.responded(200, 811_000);
                r.bytesOut(61);
                r.finish(1);
            }
        }).get();
    }
}
