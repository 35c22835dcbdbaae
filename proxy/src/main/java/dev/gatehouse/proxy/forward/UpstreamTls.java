package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The client TLS contexts of the upstream pools: {@link #http1()} for https services (the JDK's
 * trust, the target's host name checked) and {@link #h2()} for grpcs ones (the same trust,
 * offering only {@code h2} by ALPN, {@link Http2Pool#alpn}).
 *
 * <p>Making them reads the JDK's trust store (about 5 MB of garbage) and initialises the TLS
 * provider: a tenth of a second that no plain-HTTP request needs, and that pushed a start's
 * garbage past the young generation (docs/benchmarks.md, "Startup and memory"). So a proxy makes
 * them {@link #aside} only once a snapshot it applies has an https or grpcs service
 * ({@link #startFor}), on a thread of its own; a connect to such a target waits for them the
 * first time if they are not ready yet (it starts them itself if nothing did). Should they fail
 * (a trust store that cannot be read), {@code event=tls.upstream-contexts-failed} is logged once
 * and every https and grpcs connect fails with the cause; plain-HTTP targets are served.
 */
public final class UpstreamTls {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamTls.class);

    private final Executor aside;
    private final CompletableFuture<SslContext[]> both = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();

    private UpstreamTls(Executor aside) {
        this.aside = aside;
    }

    /** These two contexts, ready. */
    public static UpstreamTls of(SslContext http1, SslContext h2) {
        UpstreamTls tls = new UpstreamTls(Runnable::run);
        tls.started.set(true);
        tls.both.complete(new SslContext[] {http1, h2});
        return tls;
    }

    /** The default contexts, to be made on {@code aside} when first needed or {@link #startFor started}; returns at once. */
    public static UpstreamTls aside(Executor aside) {
        return new UpstreamTls(aside);
    }

    /** Starts making them, on the executor, when {@code services} has an https or grpcs one and nothing started them yet. */
    public void startFor(Collection<Service> services) {
        if (started.get()) {
            return;
        }
        for (Service s : services) {
            if (s.protocol().tls()) {
                start();
                return;
            }
        }
    }

    /** True once they are being made, or made. */
    public boolean started() {
        return started.get();
    }

    private void start() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        aside.execute(() -> {
            try {
                both.complete(new SslContext[] {SslContextBuilder.forClient().build(),
                        Http2Pool.alpn(SslContextBuilder.forClient()).build()});
            } catch (SSLException | RuntimeException e) {
                LOG.error("event=tls.upstream-contexts-failed error=\"{}\" effect=\"https and grpcs targets cannot be reached\"",
                        e.toString());
                both.completeExceptionally(e);
            }
        });
    }

    /**
     * For a connector about to open a connection for {@code attempt}: false when it is not over TLS
     * or the contexts are made (waiting for them while they are being made); true when they could
     * not be, the attempt then failed with the cause (one rate-limited line, another target tried)
     * rather than inside a channel's initialisation.
     */
    boolean failed(UpstreamAttempt attempt, boolean overTls) {
        if (!overTls) {
            return false;
        }
        start();
        try {
            both.join();
            return false;
        } catch (CompletionException e) {
            attempt.opened(null, e.getCause() != null ? e.getCause() : e);
            return true;
        }
    }

    /** For https targets; waits for it when not ready yet. @throws CompletionException when it failed */
    SslContext http1() {
        start();
        return both.join()[0];
    }

    /** For grpcs targets; as {@link #http1()}. */
    SslContext h2() {
        start();
        return both.join()[1];
    }
}
