package dev.gatehouse.proxy.tls;

import dev.gatehouse.proxy.observe.RateLimitedLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.AsyncMapping;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.channels.ClosedChannelException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The TLS steps of a TLS-port connection, in front of the HTTP ones ({@link #addTlsHandlers}):
 * an {@link SniHandler} that picks the certificate from the applied snapshot's
 * {@link CertificateTable} (a volatile read, nothing built per handshake) and then makes way for
 * the {@link SslHandler}, and an observer that counts the handshake's outcome in
 * {@code gatehouse_tls_handshakes_total{result}}, logs a failure (rate-limited, per kind), and
 * on success hands the version and SNI name to the HTTP decoder and the connection to the protocol
 * ALPN chose ({@link AfterHandshake}). The whole handshake, ClientHello
 * included, must finish within the handshake timeout: one timer per connection, the observer's,
 * from the accept to the handshake's end (Netty's {@link SniHandler} and {@link SslHandler} would
 * each schedule and cancel their own; both get 0, i.e. none).
 *
 * <p>Per connection the certificate is chosen without a promise or an adapter: the lookup is a
 * read of the applied {@link CertificateTable} on the event loop, answered with a succeeded future
 * (docs/decisions.md, "A new TLS connection: what the proxy adds to the handshake").
 *
 * <p>No certificate for the name and no fallback: the proxy answers the ClientHello with a fatal
 * {@code unrecognized_name} alert (RFC 6066 §3), or {@code handshake_failure} when the client
 * sent no name, and closes.
 */
public final class TlsHandshakes {
    private static final Logger LOG = LoggerFactory.getLogger(TlsHandshakes.class);

    /** The {@code result} of {@code gatehouse_tls_handshakes_total}. */
    enum Result {
        SUCCESS, UNRECOGNIZED_NAME, NO_CERTIFICATE, PROTOCOL_VERSION, NO_SHARED_CIPHER, CERTIFICATE_REJECTED, TIMEOUT,
        NOT_TLS, CLOSED, OTHER;

        final String label = name().toLowerCase(Locale.ROOT);
        final RateLimitedLog log = RateLimitedLog.of(LOG, "tls.handshake-failed." + label);
    }

    /** Alert records, TLS 1.2 record layer (TLS 1.3 uses the same): type 21, version 3.3, length 2, fatal, description. */
    private static final byte[] UNRECOGNIZED_NAME_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112};
    private static final byte[] HANDSHAKE_FAILURE_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40};

    private final ServerCertificates certificates;
    private final long timeoutMillis;
    private final Map<Result, Counter> counters = new EnumMap<>(Result.class);
    /** Shared by every connection's selector (its {@link CertificateSelector#lookup} does not go through it). */
    private final AsyncMapping<String, SslContext> mapping;

    public TlsHandshakes(ServerCertificates certificates, TlsConfig config, MeterRegistry registry) {
        this.certificates = certificates;
        this.timeoutMillis = config.handshakeTimeout().toMillis();
        this.mapping = (sni, promise) -> promise.setSuccess(certificates.select(sni));
        for (Result r : Result.values()) {
            counters.put(r, Counter.builder("gatehouse.tls.handshakes").tag("result", r.label)
                    .description("TLS handshakes on the TLS port, by result: success or why it failed")
                    .register(registry));
        }
    }

    /** What follows a successful handshake on a connection: the handlers of the protocol ALPN chose. */
    @FunctionalInterface
    public interface AfterHandshake {
        /**
         * Adds the protocol's handlers behind the TLS ones.
         *
         * @param protocol {@code h2}, or {@code http/1.1} (also when the client offered no ALPN)
         */
        void configure(ChannelHandlerContext ctx, String protocol);
    }

    /**
     * The TLS steps, added after the connection's first handlers: the certificate selector, then one
     * handler that holds the handshake's timer, counts its outcome and, on success, hands the
     * connection to {@code next} and leaves the pipeline.
     */
    public void addTlsHandlers(ChannelPipeline p, AfterHandshake next) {
        p.addLast("sni", new CertificateSelector(mapping));
        p.addLast("tls-handshake", new HandshakeObserver(next));
    }

    long count(Result r) {
        return (long) counters.get(r).count();
    }

    private void failed(ChannelHandlerContext ctx, Result r, String sni, Throwable cause) {
        counters.get(r).increment();
        r.log.info("client={} sni={} error=\"{}\"", ctx.channel().remoteAddress(), sni == null ? "none" : sni,
                cause == null ? r.label : TlsContexts.describe(cause).replace('"', '\''));
    }

    static Result classify(Throwable cause) {
        if (cause instanceof SslHandshakeTimeoutException) {
            return Result.TIMEOUT;
        }
        if (cause instanceof NotSslRecordException) {
            return Result.NOT_TLS;
        }
        if (cause instanceof ClosedChannelException) {
            return Result.CLOSED;
        }
        String m = TlsContexts.describe(cause).toLowerCase(Locale.ROOT);
        if (m.contains("protocol") && (m.contains("unsupported") || m.contains("not enabled") || m.contains("no appropriate")
                || m.contains("wrong_version"))) {
            return Result.PROTOCOL_VERSION;
        }
        if (m.contains("cipher")) {
            return Result.NO_SHARED_CIPHER;
        }
        if (m.contains("certificate") || m.contains("unknown_ca") || m.contains("unknown ca")) {
            return Result.CERTIFICATE_REJECTED;
        }
        if (m.contains("closed") || m.contains("connection reset")) {
            return Result.CLOSED;
        }
        return Result.OTHER;
    }

    /** Picks the certificate by SNI; without one, refuses the handshake with the alert. No timer of its own. */
    private final class CertificateSelector extends SniHandler {
        CertificateSelector(AsyncMapping<String, SslContext> mapping) {
            super(mapping, 0);
        }

        /** The table is read on the event loop: the answer is there at once, no promise needed. */
        @Override
        protected Future<SslContext> lookup(ChannelHandlerContext ctx, String hostname) {
            return ctx.executor().newSucceededFuture(certificates.select(hostname));
        }

        @Override
        protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext context) throws Exception {
            if (context != null) {
                super.replaceHandler(ctx, hostname, context);
                return;
            }
            Result r = hostname == null ? Result.NO_CERTIFICATE : Result.UNRECOGNIZED_NAME;
            failed(ctx, r, hostname, null);
            // what is left of the ClientHello and anything after it is dropped; the client gets the alert and a close
            ctx.pipeline().replace(this, "tls-refused", new Discard());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(r == Result.UNRECOGNIZED_NAME ? UNRECOGNIZED_NAME_ALERT
                    : HANDSHAKE_FAILURE_ALERT)).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
            SslHandler h = super.newSslHandler(context, allocator);
            if (certificates.jdk()) {
                // OpenSSL server contexts prefer the server's order already (SSL_OP_CIPHER_SERVER_PREFERENCE)
                SSLEngine engine = h.engine();
                SSLParameters params = engine.getSSLParameters();
                params.setUseCipherSuitesOrder(true);
                engine.setSSLParameters(params);
            }
            return h;
        }
    }

    /**
     * The handshake's end, in one handler (it was two, an observer and an ALPN handler, each added and
     * removed per connection): holds the connection's handshake timer; reads once at the start
     * ({@code AUTO_READ} is off, and the handlers that would ask come later) so the handshake can
     * begin; counts the outcome; on success keeps the handshake on the channel ({@link ClientTls#KEY}),
     * hands the connection to the protocol ALPN chose ({@link AfterHandshake}) and leaves the
     * pipeline, passing on what it held back meanwhile (Netty's {@link ApplicationProtocolNegotiationHandler}).
     * At the timeout the connection is closed and counted as {@code timeout} once (what the close then
     * makes the {@link SslHandler} report is not counted again); a failed handshake closes the
     * connection ({@link #handshakeFailure}).
     */
    private final class HandshakeObserver extends ApplicationProtocolNegotiationHandler {
        private final AfterHandshake next;
        private String sni;
        private ScheduledFuture<?> timeout;
        private boolean timedOut;

        HandshakeObserver(AfterHandshake next) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.next = next;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            super.handlerAdded(ctx);
            if (ctx.channel().isActive()) {
                startTimer(ctx);
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            stopTimer();
            super.handlerRemoved(ctx);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            startTimer(ctx);
            ctx.read();
            super.channelActive(ctx);
        }

        private void startTimer(ChannelHandlerContext ctx) {
            if (timeout == null && !timedOut) {
                timeout = ctx.executor().schedule(() -> timedOut(ctx), timeoutMillis, TimeUnit.MILLISECONDS);
            }
        }

        private void stopTimer() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }

        private void timedOut(ChannelHandlerContext ctx) {
            if (ctx.isRemoved()) {
                return;
            }
            timedOut = true;
            failed(ctx, Result.TIMEOUT, sni, new SslHandshakeTimeoutException("handshake timed out after " + timeoutMillis + "ms"));
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SniCompletionEvent e) {
                sni = e.hostname();
            } else if (evt instanceof SslHandshakeCompletionEvent e) {
                stopTimer();
                if (e.isSuccess() && !timedOut) {
                    succeeded(ctx);
                    ctx.fireUserEventTriggered(evt);
                    return;
                }
                if (!timedOut) { // the close at the timeout fails the handshake: counted already
                    failed(ctx, classify(e.cause()), sni, e.cause());
                }
            }
            // a failure: the SslHandler's exception follows, and handshakeFailure closes
            super.userEventTriggered(ctx, evt);
        }

        /** What {@link ApplicationProtocolNegotiationHandler} does on success, with the one pipeline lookup shared. */
        private void succeeded(ChannelHandlerContext ctx) throws Exception {
            counters.get(Result.SUCCESS).increment();
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            try {
                if (ssl == null) {
                    throw new IllegalStateException("no SslHandler in the pipeline after a handshake");
                }
                // read by the HTTP/1 decoder that comes next
                ctx.channel().attr(ClientTls.KEY).set(new ClientTls(ssl.engine().getSession().getProtocol(),
                        sni == null ? null : CertificateTable.normalize(sni), certificates));
                String protocol = ssl.applicationProtocol();
                next.configure(ctx, protocol != null ? protocol : ApplicationProtocolNames.HTTP_1_1);
            } catch (Throwable cause) {
                exceptionCaught(ctx, cause);
            } finally {
                if (!ctx.isRemoved()) {
                    ctx.pipeline().remove(this); // passes on what was held back
                }
            }
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            next.configure(ctx, protocol); // not reached: succeeded() configures
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // counted and logged at the handshake's completion event
        }
    }

    /** Drops whatever a refused connection still sends. */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
