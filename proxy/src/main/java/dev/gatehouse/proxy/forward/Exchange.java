package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.http.BadRequest;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.http1.MalformedResponse;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.observe.RequestObserver;
import dev.gatehouse.proxy.observe.RequestRecord;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters;
import dev.gatehouse.proxy.routing.RequestHost;
import dev.gatehouse.proxy.tls.ClientTls;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One request through the proxy, whatever protocol it came in on: route, key-auth, then
 * {@link UpstreamAttempt attempts} on targets until a response head arrives (the retry rule is
 * {@link Attempts}'), then the relay of the response to the {@link Downstream client side}.
 * Everything runs on the client's event loop, upstream connections included. Request and
 * response bodies stream; nothing of the body is buffered beyond what arrived before the
 * upstream connection was ready. Nothing is retried once a response head was relayed.
 */
final class Exchange {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    private static final RateLimitedLog TIMEOUT = RateLimitedLog.of(LOG, "upstream.timeout");
    private static final RateLimitedLog CLOSED_MID_RESPONSE = RateLimitedLog.of(LOG, "upstream.closed-mid-response");
    private static final RateLimitedLog MALFORMED = RateLimitedLog.of(LOG, "upstream.malformed");

    private final Downstream client;
    private final ResponseSink response;
    private final RequestBody body;
    /** The routing decision, decided again for each request ({@link RequestPlan#decide}). */
    private final RequestPlan plan = new RequestPlan();

    // Per request: set by start(request); a kept-alive connection's next request starts the same
    // exchange again once it is reusable() (docs/decisions.md, "One exchange per connection").
    private HttpRequest request;
    private String requestId;
    private boolean idempotent;
    private boolean expectsBody;
    /**
     * The request has no body by its HTTP/1.1 framing (no Content-Length above 0, not chunked), so
     * its head goes to an HTTP/1.1 target with its end in one message ({@link #headFor}).
     */
    private boolean bodiless;
    private boolean head;
    private long startNanos;
    /** The request's record; the previous request's, finished, is started again ({@link RequestObserver#begin}). */
    private RequestRecord record;
    /** Who sent the request (the trusted-proxies rule), read before the head is rewritten. */
    private ClientAddress clientAddress;

    private CompiledRoute route;
    /** The tries on the route's targets; null until routed. */
    private Attempts attempts;
    /** The {@link Attempts} of an earlier request of this exchange, reset for the next routed one. */
    private Attempts spareAttempts;
    private RequestHost clientHost;
    /** The attempt under way; null between attempts and once the response is relayed. */
    private UpstreamAttempt attempt;
    /** Set-Cookie for a new sticky-session cookie, or null. */
    private String stickyCookie;

    private long maxBodyBytes = Long.MAX_VALUE;
    private long bodyBytes;
    private boolean informational;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean upstreamReusable;
    private boolean closeAfter;
    private boolean done;
    /** No request yet, or the last one finished with nothing left under way: {@link #start} may take the next. */
    private boolean idle = true;

    /** An exchange for {@code client}'s requests, one at a time: {@link #start} each. */
    Exchange(Downstream client) {
        this.client = client;
        this.response = client.response();
        this.body = new RequestBody(client);
    }

    /**
     * True when {@link #start} may take another request: the previous one finished normally (its
     * response complete, its body read, its record finished, no attempt left, nothing owed to a
     * tunnel), so no state of it can reach the next.
     */
    boolean reusable() {
        return idle;
    }

    /** Starts this exchange on {@code request}: every per-request field afresh, then routing and the first attempt. */
    void start(HttpRequest request) {
        if (!idle) {
            throw new IllegalStateException("exchange started while a request is under way");
        }
        idle = false;
        this.request = request;
        this.requestId = requestIdOf(request);
        this.startNanos = System.nanoTime();
        body.reset();
        this.clientAddress = client.forwarded().resolve(request.headers());
        this.record = client.observer().begin(record, request, requestId, clientAddress,
                client.connection().attr(ClientTls.KEY).get(), startNanos);
        this.expectsBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        this.bodiless = !expectsBody && client.headFramesBody();
        this.head = request.method() == HttpMethod.HEAD;
        this.idempotent = Attempts.idempotent(request.method());
        route = null;
        attempts = null;
        clientHost = null;
        attempt = null;
        stickyCookie = null;
        maxBodyBytes = Long.MAX_VALUE;
        bodyBytes = 0;
        informational = false;
        responseStarted = false;
        responseComplete = false;
        upstreamReusable = false;
        closeAfter = false;
        done = false;
        route();
    }

    /**
     * The id the HTTP/1.1 gate settled and kept on the request; an HTTP/2 stream's head carries it
     * as a field ({@code Http2RequestCheck}).
     */
    private static String requestIdOf(HttpRequest request) {
        String id = request instanceof ParsedRequest p ? p.requestId() : null;
        return id != null ? id : request.headers().get(ProxyHeaders.X_REQUEST_ID);
    }

    /** See {@link Downstream#readsHeadAtOnce}. */
    boolean readsHeadAtOnce() {
        return client.readsHeadAtOnce();
    }

    boolean requestComplete() {
        return body.complete();
    }

    private void route() {
        RequestPlan plan = this.plan.decide(request, requestId, client.plane().compiled(), client.connection(), clientAddress,
                client.edge());
        clientHost = plan.clientHost();
        record.routed(plan.route() == null ? null : plan.route().meters(), plan.consumer());
        if (plan.status() != null) {
            reply(plan.status(), plan.message(), false);
            return;
        }
        route = plan.route();
        record.propagate(request.headers()); // after RequestPlan's rewrite and the route's header filters
        Long max = route.route().maxBodySize();
        maxBodyBytes = max == null ? Long.MAX_VALUE : max;
        Attempts spare = spareAttempts;
        attempts = spare == null ? new Attempts(route, requestId) : spare.reset(route, requestId);
        spareAttempts = null;
        stickyCookie = route.targets().stickyCookie(request);
        nextAttempt();
    }

    boolean isCurrent(UpstreamAttempt a) {
        return a == attempt && !done;
    }

    private void nextAttempt() {
        // the first attempt starts in the call that brought the head: the exchange's own reading serves
        long now = attempts.count() == 0 ? startNanos : System.nanoTime();
        Peer peer = attempts.next(request, clientAddress, now);
        if (peer == null) {
            fail(attempts.failureStatus(), attempts.failureMessage());
            return;
        }
        record.target(peer.key());
        attempt = new UpstreamAttempt(this, peer, route.service().protocol());
        attempt.start(client.pool(), route.service().timeouts(), now);
    }

    /** The request head for an attempt on {@code peer} ({@link UpstreamHost#head}). */
    HttpRequest headFor(Peer peer, boolean http1) {
        return UpstreamHost.head(request, route, clientHost, peer, bodiless && http1);
    }

    /** The current attempt's head was written: the body follows, the client is read as the target takes it. */
    void headSent(UpstreamAttempt a) {
        body.startAttempt(a.channel(), a, a.endInHead());
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
            body.offer(c);
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
            client.abort();
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
            client.abort();
            return;
        }
        releaseUpstream(false);
        reply(bad.status(), bad.message(), true);
    }

    void onClientReadComplete() {
        body.readComplete(responseComplete);
    }

    void onUpstreamWritable(UpstreamAttempt a) {
        if (a == attempt) {
            body.writable();
        }
    }

    void onClientWritable() {
        if (attempt != null && responseStarted && !responseComplete) {
            attempt.resume();
        }
    }

    /** True while the response waits for the client to take it (backpressure), not for the target. */
    boolean waitingOnClient() {
        return attempt != null && attempt.heldBack();
    }

    /** A response head from the current attempt's target, read at {@code now} ({@link System#nanoTime}). */
    void onUpstreamResponse(UpstreamAttempt a, HttpResponse res, long now) {
        if (a != attempt || done) {
            return;
        }
        int code = res.status().code();
        if (code == 101 && Tunnel.refused(a, client, request, res)) {
            return;
        }
        if (code >= 100 && code < 200 && code != 101) {
            informational = true;
            ResponseHead.rewriteInformational(res);
            response.writeHead(res);
            return;
        }
        responseStarted = true;
        upstreamReusable = HttpUtil.isKeepAlive(res);
        long upstreamNanos = now - a.sentNanos();
        record.responded(code, upstreamNanos);
        attempts.responded(upstreamNanos, code, now);
        if (stickyCookie != null) {
            res.headers().add(HttpHeaderNames.SET_COOKIE, stickyCookie);
        }
        closeAfter = code == 101 ? Tunnel.rewriteHead(res) : client.rewriteHead(request, res, !head && code != 204 && code != 304);
        ResponseHead.annotate(res, requestId, TimeUnit.NANOSECONDS.toMillis(upstreamNanos),
                TimeUnit.NANOSECONDS.toMillis(a.sentNanos() - startNanos), code == 101 ? null : route.filters());
        response.writeHead(res);
        if (code == 101) {
            done = true;
            attempt = null;
            Tunnel.open((ClientHandler) client, a.handOver(), route, record, attempts);
        }
    }

    /** Response content from an attempt's target, read at {@code now} ({@link System#nanoTime}). */
    void onUpstreamContent(UpstreamAttempt a, HttpContent c, long now) {
        if (a != attempt) {
            c.release();
            return;
        }
        if (informational) {
            informational = !(c instanceof LastHttpContent);
            response.writeContent(c);
            return;
        }
        if (!responseStarted || done) {
            c.release();
            return;
        }
        record.bytesOut(c.content().readableBytes());
        response.writeContent(client.acceptsTrailers() ? c : ResponseHead.withoutTrailers(c));
        if (c instanceof LastHttpContent) {
            responseComplete = true;
            releaseUpstream(upstreamReusable && body.fullySent(), now);
            if (!body.complete()) {
                closeAfter = true;
            }
            maybeFinish(now);
        }
    }

    /**
     * The target's read batch ended: what it relayed is flushed to the client. An attempt that is
     * no longer current wrote nothing left to flush (a complete response was flushed by
     * {@link #maybeFinish}, a failed attempt relayed nothing, a tunnel flushes its own).
     */
    void onUpstreamReadComplete(UpstreamAttempt a) {
        if (a != attempt) {
            return;
        }
        response.flush();
        if (!responseStarted || response.isWritable()) {
            a.read();
        } else {
            a.holdBack();
        }
    }

    /**
     * The target's response could not be decoded (bad status line, bad chunked framing): the
     * connection is closed, never pooled; before the head this is a failed attempt (502, or a
     * retry when the request may be replayed), after it the client's response is cut short so
     * it is never taken as complete.
     */
    void onUpstreamMalformed(UpstreamAttempt a, Channel ch, Throwable cause) {
        if (a != attempt || done) {
            UpstreamHandler.close(ch, UpstreamConnectionMeters.Reason.UNUSABLE);
            return;
        }
        // MalformedResponse's message names the rule broken, never the target's bytes; other causes log their class only
        MALFORMED.warn("target={} request_id={} cause=\"{}\"", a.peer().key(), requestId,
                cause instanceof MalformedResponse m ? m.getMessage() : cause.getClass().getSimpleName());
        if (responseStarted && !responseComplete) {
            releaseUpstream(false);
            client.abort();
            return;
        }
        attemptFailed(a, true, cause);
    }

    void onUpstreamClosed(UpstreamAttempt a) {
        if (a != attempt || done || responseComplete) {
            return;
        }
        if (responseStarted) {
            CLOSED_MID_RESPONSE.warn("target={} request_id={}", a.peer().key(), requestId);
            client.abort();
            return;
        }
        attemptFailed(a, a.headAcked(), null);
    }

    /** The current attempt's target went silent, or stopped taking the body, for its timeout: 504 or a retry. */
    void attemptTimedOut(UpstreamAttempt a, String what, long millis) {
        if (a != attempt || done || a.channel() == null || responseComplete) {
            return;
        }
        TIMEOUT.warn("target={} what=\"{}\" ms={} request_id={}", a.peer().key(), what, millis, requestId);
        if (responseStarted) {
            client.abort();
        } else {
            attemptFailed(a, true, HttpResponseStatus.GATEWAY_TIMEOUT, ErrorReply.TIMEOUT, null);
        }
    }

    /** A failed attempt, answered {@code 502} unless it is retried ({@link Attempts#failed}). */
    void attemptFailed(UpstreamAttempt a, boolean sent, Throwable cause) {
        attemptFailed(a, sent, HttpResponseStatus.BAD_GATEWAY, ErrorReply.BAD_UPSTREAM, cause);
    }

    private void attemptFailed(UpstreamAttempt a, boolean sent, HttpResponseStatus status, String message, Throwable cause) {
        if (a != attempt || done) {
            return;
        }
        boolean retry = attempts.failed(a.peer(), sent, body.bytesSent(), idempotent, status, message, cause);
        releaseUpstream(false);
        if (retry) {
            nextAttempt();
        } else {
            fail(status, message);
        }
    }

    private void releaseUpstream(boolean reuse) {
        releaseUpstream(reuse, System.nanoTime());
    }

    /** {@link #releaseUpstream(boolean)} at {@code now} ({@link System#nanoTime}), the reading of the event that ends the attempt. */
    private void releaseUpstream(boolean reuse, long now) {
        if (attempts != null) {
            attempts.ended();
        }
        body.endAttempt();
        UpstreamAttempt a = attempt;
        attempt = null;
        if (a != null) {
            a.release(reuse, now);
        }
    }

    private void fail(HttpResponseStatus status, String message) {
        if (responseStarted) {
            client.abort();
            return;
        }
        reply(status, message, false);
    }

    /** Answers the request from the proxy itself. */
    private void reply(HttpResponseStatus status, String message, boolean mustClose) {
        responseStarted = true;
        responseComplete = true;
        closeAfter = client.closesAfterReply(mustClose, expectsBody && !body.complete());
        FullHttpResponse res = client.reply(request, status, message, requestId, closeAfter);
        record.replied(status.code(), res.content().readableBytes());
        response.writeReply(res);
        body.discard();
        if (!maybeFinish()) {
            response.flush();
        }
    }

    /**
     * Finishes the exchange when its response is complete and its request read (or the connection
     * closes after it). The client may start its next request on this very exchange inside
     * {@code exchangeDone} (a pipelined one): a caller reads none of its fields after a true answer.
     *
     * @return true when it finished
     */
    private boolean maybeFinish() {
        return finishable() && finish(System.nanoTime()); // the clock is read only when it finishes
    }

    /** {@link #maybeFinish()} at {@code now} ({@link System#nanoTime}), a reading the caller took for the same event. */
    private boolean maybeFinish(long now) {
        return finishable() && finish(now);
    }

    private boolean finishable() {
        return !done && responseComplete && (body.complete() || closeAfter);
    }

    private boolean finish(long now) {
        done = true;
        record.finish(attempts == null ? 0 : attempts.count(), now);
        boolean close = closeAfter;
        if (!close || !client.flushesWithClose()) {
            response.flush();
        }
        if (attempt == null && !close) {
            // nothing under way and the connection stays: the next request may start here
            if (attempts != null) {
                spareAttempts = attempts;
            }
            idle = true;
            // nothing reads the head any more (its record was formatted above, no attempt will write
            // it again): the connection's next head may be parsed into it
            if (request instanceof ParsedRequest p) {
                p.release();
            }
        }
        client.exchangeDone(this, close);
        return true;
    }

    /** The client went away: give up, and never reuse the upstream connection. */
    void abort() {
        done = true;
        releaseUpstream(false);
        body.discard();
        record.finish(attempts == null ? 0 : attempts.count());
    }
}
