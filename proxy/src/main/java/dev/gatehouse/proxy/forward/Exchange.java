package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.http.BadRequest;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.observe.RequestRecord;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;

/**
 * One request through the proxy: route, key-auth, then attempts on targets until a response
 * head arrives. Everything runs on the client connection's event loop, upstream connection
 * included. Request and response bodies stream; nothing of the body is buffered beyond what
 * arrived before the upstream connection was ready.
 *
 * <p>Retries (DESIGN §8), at most {@code service.retries()} more attempts, each on a target not
 * tried yet: a request not sent (connect failed, head write failed, connection closed before
 * the head was written) is retried whatever its method; an idempotent request whose body was
 * not sent is also retried after the connection closed or went silent for the read timeout
 * before the response head. A request with body bytes sent is never replayed. A retry that has
 * a target to go to must also fit the service's {@link RetryBudget}; refused, the request gets
 * the failed attempt's answer (502 or 504).
 */
final class Exchange implements Deadlines.Expiry {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    private static final RateLimitedLog NO_TARGET = RateLimitedLog.of(LOG, "upstream.no-target");
    private static final RateLimitedLog ATTEMPT_FAILED = RateLimitedLog.of(LOG, "upstream.attempt-failed");
    private static final RateLimitedLog TIMEOUT = RateLimitedLog.of(LOG, "upstream.timeout");
    private static final RateLimitedLog CLOSED_MID_RESPONSE = RateLimitedLog.of(LOG, "upstream.closed-mid-response");
    private static final RateLimitedLog MALFORMED = RateLimitedLog.of(LOG, "upstream.malformed");
    /** What the current attempt holds of the service's retry budget. */
    private static final int NO_ATTEMPT = 0;
    private static final int FIRST_ATTEMPT = 1;
    private static final int RETRY_ATTEMPT = 2;

    private final ClientHandler client;
    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final String requestId;
    private final boolean clientKeepAlive;
    private final boolean clientHttp11;
    private final boolean expectsBody;
    private final boolean idempotent;
    private final boolean head;
    private final long startNanos = System.nanoTime();
    private final BitSet tried = new BitSet();
    private final RequestRecord record;
    /** Who sent the request (the trusted-proxies rule), read before the head is rewritten. */
    private final ClientAddress clientAddress;

    private CompiledRoute route;
    private boolean https;
    private String clientHost;
    private int attemptsLeft;
    private int attempt;
    private Peer peer;
    /** The balancer state of the target of the current attempt; null between attempts. */
    private TargetState target;
    /** NO_ATTEMPT, or the kind of attempt counted in the retry budget; back to NO_ATTEMPT when it is released. */
    private int budgetHeld = NO_ATTEMPT;
    /** Set-Cookie for a new sticky-session cookie, or null. */
    private String stickyCookie;
    private Channel upstream;
    private boolean headAcked;
    private long sentNanos;
    private final Deadlines deadlines;
    private final RequestBody body = new RequestBody(this::writeDone);
    private HttpResponseStatus lastFailure = HttpResponseStatus.BAD_GATEWAY;
    private String lastMessage = ErrorReply.BAD_UPSTREAM;

    private long maxBodyBytes = Long.MAX_VALUE;
    private long bodyBytes;
    private boolean informational;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean upstreamReusable;
    private boolean closeAfter;
    private boolean done;

    Exchange(ClientHandler client, HttpRequest request) {
        this.client = client;
        this.ctx = client.ctx();
        this.request = request;
        this.deadlines = new Deadlines(ctx.executor(), this);
        this.requestId = request.headers().get(ProxyHeaders.X_REQUEST_ID);
        this.clientAddress = client.forwarded().resolve(request.headers());
        if (request.headers().contains(ProxyHeaders.X_FORWARDED_FOR)) {
            client.edge().forwardedFor(clientAddress.peerTrusted());
        }
        this.record = client.observer().begin(request, requestId, clientAddress);
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.clientHttp11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        this.expectsBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        HttpMethod m = request.method();
        this.head = m == HttpMethod.HEAD;
        this.idempotent = m == HttpMethod.GET || head || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    boolean requestComplete() {
        return body.complete();
    }

    void start() {
        RequestPlan plan = RequestPlan.of(request, client.plane().compiled(), ctx.channel(), clientAddress, client.edge());
        clientHost = plan.clientHost();
        record.routed(plan.route() == null ? null : plan.route().meters(), plan.consumer());
        if (plan.status() != null) {
            reply(plan.status(), plan.message());
            return;
        }
        route = plan.route();
        Long max = route.route().maxBodySize();
        maxBodyBytes = max == null ? Long.MAX_VALUE : max;
        https = route.service().protocol() == Service.Protocol.HTTPS;
        attemptsLeft = 1 + route.service().retries();
        stickyCookie = route.targets().stickyCookie(request);
        nextAttempt();
    }

    private void nextAttempt() {
        int index = attemptsLeft > 0 ? route.targets().pick(request, clientAddress, tried) : -1;
        if (index < 0) {
            if (tried.isEmpty()) {
                NO_TARGET.warn("request_id={} route={}", requestId, route.route().id());
                fail(HttpResponseStatus.SERVICE_UNAVAILABLE, ErrorReply.NO_PEER);
            } else {
                fail(lastFailure, lastMessage);
            }
            return;
        }
        RetryBudget budget = route.retryBudget();
        if (tried.isEmpty()) {
            budget.attemptStarted();
            budgetHeld = FIRST_ATTEMPT;
        } else if (budget.tryRetry()) {
            budgetHeld = RETRY_ATTEMPT;
        } else {
            // Checked after the pick, so a retry with no target left is never counted as refused.
            budget.refused(route, requestId, lastFailure.code());
            fail(lastFailure, lastMessage);
            return;
        }
        tried.set(index);
        attemptsLeft--;
        attempt++;
        peer = route.targets().peers().get(index);
        record.target(index, peer.key());
        target = route.targets().state(index);
        if (target != null) {
            target.begin();
        }
        Channel pooled = client.pool().acquire(UpstreamPool.key(peer, https));
        if (pooled != null) {
            connected(pooled);
            return;
        }
        int thisAttempt = attempt;
        client.pool().connect(peer, https, route.service().timeouts().connectMillis()).addListener((ChannelFuture f) -> {
            if (done || thisAttempt != attempt) {
                f.channel().close();
            } else if (f.isSuccess()) {
                connected(f.channel());
            } else {
                attemptFailed(false, HttpResponseStatus.BAD_GATEWAY, ErrorReply.BAD_UPSTREAM, f.cause());
            }
        });
    }

    private void connected(Channel ch) {
        upstream = ch;
        headAcked = false;
        ch.pipeline().get(UpstreamHandler.class).attach(this);
        HttpHeaders h = request.headers();
        if (!route.route().preserveHost() || clientHost == null) {
            String hostHeader = route.service().hostHeader();
            h.set(HttpHeaderNames.HOST, hostHeader != null ? hostHeader : peer.target().address());
        } else {
            h.set(HttpHeaderNames.HOST, clientHost);
        }
        sentNanos = System.nanoTime();
        deadlines.start(ch, route.service().timeouts());
        int thisAttempt = attempt;
        ch.writeAndFlush(request).addListener((ChannelFuture f) -> {
            if (thisAttempt != attempt || upstream != f.channel() || done) {
                return;
            }
            if (!f.isSuccess()) {
                attemptFailed(false, HttpResponseStatus.BAD_GATEWAY, ErrorReply.BAD_UPSTREAM, f.cause());
                return;
            }
            headAcked = true;
            body.startAttempt(upstream);
            upstream.flush();
            if (!body.complete() && upstream.isWritable()) {
                client.read();
            }
        });
        if (upstream == ch) {
            ch.read();
        }
    }

    /** Notes write progress for the write timeout; a failed write closes the connection. */
    private void writeDone(ChannelFuture f) {
        if (f.isSuccess()) {
            deadlines.wrote();
        } else {
            f.channel().close();
        }
    }

    void onClientContent(HttpContent c) {
        int n = c.content().readableBytes();
        record.bytesIn(n);
        bodyBytes += n;
        if (done || responseComplete || route == null) {
            body.drop(c);
            maybeFinish();
        } else if (bodyBytes > maxBodyBytes) {
            body.drop(c);
            bodyTooLarge();
        } else {
            body.offer(c, upstream != null && headAcked ? upstream : null);
        }
    }

    /**
     * A chunked body passed the route's maxBodySize: the upstream exchange is aborted (its
     * connection closed, so the target never sees a complete request), and the client gets 413
     * if nothing of the response was sent yet; the connection closes either way.
     */
    private void bodyTooLarge() {
        client.edge().count(EdgeMeters.Reason.BODY_SIZE);
        RequestGate.REQUEST_REFUSED.info("status=413 request_id={} route={} reason=\"body above maxBodySize {}\"", requestId,
                route.route().id(), maxBodyBytes);
        if (responseStarted) {
            abortClient();
            return;
        }
        releaseUpstream(false);
        body.discard();
        reply(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, RequestPlan.bodyTooLarge(maxBodyBytes), true);
    }

    /** The rest of this request's body is malformed (the gate refused a chunk). */
    void onBadBody(BadRequest bad) {
        body.markComplete();
        if (done) {
            return;
        }
        if (responseStarted) {
            abortClient();
            return;
        }
        releaseUpstream(false);
        reply(bad.status(), bad.message(), true);
    }

    void onClientReadComplete() {
        if (upstream != null && headAcked) {
            upstream.flush();
            if (!body.complete() && upstream.isWritable()) {
                client.read();
            }
        } else if (responseComplete && !body.complete()) {
            client.read();
        }
    }

    void onUpstreamWritable() {
        if (!body.complete() && headAcked) {
            client.read();
        }
    }

    /** The target stopped taking the body as fast as it comes: start the write timeout. */
    void onUpstreamUnwritable() {
        deadlines.unwritable();
    }

    void onClientWritable() {
        if (upstream != null && responseStarted && !responseComplete) {
            deadlines.resume();
            upstream.read();
        }
    }

    /** True while the response waits for the client to take it (backpressure), not for the target. */
    boolean waitingOnClient() {
        return deadlines.heldBack();
    }

    void onUpstreamResponse(HttpResponse res) {
        deadlines.read();
        int code = res.status().code();
        if (code >= 100 && code < 200) {
            informational = true;
            ResponseHead.rewriteInformational(res);
            ctx.write(res);
            return;
        }
        responseStarted = true;
        upstreamReusable = HttpUtil.isKeepAlive(res);
        boolean bodyAllowed = !head && code != 204 && code != 304;
        long now = System.nanoTime();
        record.responded(code, now - sentNanos);
        if (target != null) {
            target.responded(now - sentNanos, code);
        }
        if (stickyCookie != null) {
            res.headers().add(HttpHeaderNames.SET_COOKIE, stickyCookie);
        }
        closeAfter = ResponseHead.rewrite(res, bodyAllowed, clientHttp11, clientKeepAlive && !client.plane().draining());
        ResponseHead.annotate(res, requestId, TimeUnit.NANOSECONDS.toMillis(now - sentNanos),
                TimeUnit.NANOSECONDS.toMillis(sentNanos - startNanos));
        ctx.write(res);
    }

    void onUpstreamContent(HttpContent c) {
        deadlines.read();
        if (informational) {
            informational = !(c instanceof LastHttpContent);
            ctx.write(c);
            return;
        }
        if (!responseStarted || done) {
            c.release();
            return;
        }
        record.bytesOut(c.content().readableBytes());
        ctx.write(c);
        if (c instanceof LastHttpContent) {
            responseComplete = true;
            releaseUpstream(upstreamReusable && body.fullySent());
            if (!body.complete()) {
                closeAfter = true;
            }
            maybeFinish();
        }
    }

    void onUpstreamReadComplete() {
        ctx.flush();
        if (upstream != null && (!responseStarted || ctx.channel().isWritable())) {
            upstream.read();
        } else if (upstream != null) {
            deadlines.holdBack();
        }
    }

    /**
     * The target's response could not be decoded (bad status line, bad chunked framing): the
     * connection is closed, never pooled; before the head this is a failed attempt (502, or a
     * retry when the request may be replayed), after it the client's response is cut short so
     * it is never taken as complete.
     */
    void onUpstreamMalformed(Channel ch, Throwable cause) {
        if (ch != upstream || done) {
            ch.close();
            return;
        }
        MALFORMED.warn("target={} request_id={} cause=\"{}\"", peer.key(), requestId, cause.getClass().getSimpleName());
        if (responseStarted && !responseComplete) {
            releaseUpstream(false);
            abortClient();
            return;
        }
        attemptFailed(true, HttpResponseStatus.BAD_GATEWAY, ErrorReply.BAD_UPSTREAM, cause);
    }

    void onUpstreamClosed(Channel ch) {
        if (ch != upstream || done || responseComplete) {
            return;
        }
        if (responseStarted) {
            CLOSED_MID_RESPONSE.warn("target={} request_id={}", peer.key(), requestId);
            abortClient();
            return;
        }
        attemptFailed(headAcked, HttpResponseStatus.BAD_GATEWAY, ErrorReply.BAD_UPSTREAM, null);
    }

    @Override
    public void readTimedOut(long silentMillis) {
        timedOut("sent no response bytes", silentMillis);
    }

    @Override
    public void writeTimedOut(long stuckMillis) {
        timedOut("took no request bytes", stuckMillis);
    }

    private void timedOut(String what, long millis) {
        if (done || upstream == null || responseComplete) {
            return;
        }
        TIMEOUT.warn("target={} what=\"{}\" ms={} request_id={}", peer.key(), what, millis, requestId);
        if (responseStarted) {
            abortClient();
        } else {
            attemptFailed(true, HttpResponseStatus.GATEWAY_TIMEOUT, ErrorReply.TIMEOUT, null);
        }
    }

    /**
     * @param sent whether the request head reached the target's connection; a request not sent
     *             is retried whatever its method
     */
    private void attemptFailed(boolean sent, HttpResponseStatus status, String message, Throwable cause) {
        if (target != null) {
            target.failed();
        }
        releaseUpstream(false);
        lastFailure = status;
        lastMessage = message;
        boolean retry = !body.bytesSent() && (!sent || idempotent) && attemptsLeft > 0;
        ATTEMPT_FAILED.warn("target={} request_id={} sent={} retry={} error=\"{}\"", peer.key(), requestId, sent, retry,
                cause == null ? "closed" : cause.toString());
        if (retry) {
            nextAttempt();
        } else {
            fail(status, message);
        }
    }

    private void releaseUpstream(boolean reuse) {
        if (target != null) {
            target.end();
            target = null;
        }
        if (budgetHeld != NO_ATTEMPT) {
            route.retryBudget().attemptEnded(budgetHeld == RETRY_ATTEMPT);
            budgetHeld = NO_ATTEMPT;
        }
        deadlines.cancel();
        record.released();
        Channel ch = upstream;
        upstream = null;
        headAcked = false;
        if (ch == null) {
            return;
        }
        if (reuse) {
            client.pool().release(ch);
        } else {
            ch.pipeline().get(UpstreamHandler.class).detach();
            ch.close();
        }
    }

    private void fail(HttpResponseStatus status, String message) {
        if (responseStarted) {
            abortClient();
            return;
        }
        reply(status, message);
    }

    /** Answers the request from the proxy itself. */
    private void reply(HttpResponseStatus status, String message) {
        reply(status, message, false);
    }

    private void reply(HttpResponseStatus status, String message, boolean mustClose) {
        responseStarted = true;
        responseComplete = true;
        closeAfter = mustClose || !clientKeepAlive || (expectsBody && !body.complete()) || client.plane().draining();
        FullHttpResponse res = ErrorReply.of(ctx.alloc(), status, message, requestId, closeAfter);
        record.replied(status.code(), res.content().readableBytes());
        if (!clientHttp11 && !closeAfter) {
            res.headers().set(HttpHeaderNames.CONNECTION, "keep-alive");
        }
        ctx.write(res);
        body.discard();
        maybeFinish();
        if (!done) {
            ctx.flush();
        }
    }

    private void maybeFinish() {
        if (done || !responseComplete || !(body.complete() || closeAfter)) {
            return;
        }
        done = true;
        record.finish(attempt);
        ctx.flush();
        client.exchangeDone(this, closeAfter);
    }

    /** The response cannot be completed: close the client connection (it sees a truncated response). */
    private void abortClient() {
        ctx.channel().close();
    }

    /** The client connection closed: give up, and never reuse the upstream connection. */
    void abort() {
        done = true;
        releaseUpstream(false);
        body.discard();
        record.finish(attempt);
    }
}
