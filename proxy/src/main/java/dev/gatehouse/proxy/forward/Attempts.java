package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.balance.TargetSelector;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.BitSet;

/**
 * The attempts of one exchange on its route's targets, and the retry rule (DESIGN §8), written
 * once for every protocol: at most {@code service.retries()} more attempts after the first,
 * each on a target not tried yet and admitted by the service's {@link RetryBudget}. What an
 * attempt holds (the target's in-flight count, a share of the budget) is given back exactly
 * once by {@link #ended()}.
 */
final class Attempts {
    private static final Logger LOG = LoggerFactory.getLogger(Attempts.class);
    private static final RateLimitedLog NO_TARGET = RateLimitedLog.of(LOG, "upstream.no-target");
    private static final RateLimitedLog ATTEMPT_FAILED = RateLimitedLog.of(LOG, "upstream.attempt-failed");
    /** What the current attempt holds of the service's retry budget. */
    private static final int NO_ATTEMPT = 0;
    private static final int FIRST_ATTEMPT = 1;
    private static final int RETRY_ATTEMPT = 2;

    private CompiledRoute route;
    /** The route's selector pinned for this request: every attempt's index refers to one target list. */
    private TargetSelector targets;
    private String requestId;
    /**
     * The targets tried before this attempt: {@link #NONE_TRIED} (shared, never written: the
     * balancers only read it) until a retry, which makes the set from {@link #firstTried}; most
     * requests have one attempt and allocate no set.
     */
    private BitSet tried = NONE_TRIED;
    private static final BitSet NONE_TRIED = new BitSet(0);
    /** The first attempt's target index, or -1 before it. */
    private int firstTried = -1;
    private int left;
    private int count;
    private int budgetHeld = NO_ATTEMPT;
    /** The balancer state of the current attempt's target; null between attempts. */
    private TargetState target;
    private HttpResponseStatus lastFailure = HttpResponseStatus.BAD_GATEWAY;
    private String lastMessage = ErrorReply.BAD_UPSTREAM;

    Attempts(CompiledRoute route, String requestId) {
        reset(route, requestId);
    }

    /**
     * Starts afresh for a new request on {@code route} (a kept-alive connection's next exchange,
     * {@link Exchange#reusable}): nothing of the previous request's attempts is left, and what its
     * last attempt held was given back by {@link #ended()} before it finished.
     */
    Attempts reset(CompiledRoute route, String requestId) {
        if (target != null || budgetHeld != NO_ATTEMPT) {
            throw new IllegalStateException("attempts reset while an attempt holds its target (expected: ended() first)");
        }
        this.route = route;
        this.targets = route.targets().pin();
        this.requestId = requestId;
        this.left = 1 + route.service().retries();
        this.tried = NONE_TRIED;
        this.firstTried = -1;
        this.count = 0;
        this.lastFailure = HttpResponseStatus.BAD_GATEWAY;
        this.lastMessage = ErrorReply.BAD_UPSTREAM;
        return this;
    }

    /** Methods whose request may be sent again after it may have reached a target (RFC 9110 §9.2.2). */
    static boolean idempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    /**
     * The target of the next attempt, or null when there is none: no target at all ({@link
     * #failureStatus()} is then 503), none left untried, or the retry budget refused it (then the
     * last attempt's failure stands). {@code now} is the caller's reading of {@link System#nanoTime}.
     */
    Peer next(HttpRequest request, ClientAddress from, long now) {
        if (firstTried >= 0 && tried == NONE_TRIED) {
            tried = new BitSet();
            tried.set(firstTried);
        }
        int index = left > 0 ? targets.pick(request, from, tried, now) : -1;
        if (index < 0) {
            if (count == 0) {
                NO_TARGET.warn("request_id={} route={}", requestId, route.route().id());
                lastFailure = HttpResponseStatus.SERVICE_UNAVAILABLE;
                lastMessage = ErrorReply.NO_PEER;
            }
            return null;
        }
        RetryBudget budget = route.retryBudget();
        if (count == 0) {
            budget.attemptStarted();
            budgetHeld = FIRST_ATTEMPT;
        } else if (budget.tryRetry()) {
            budgetHeld = RETRY_ATTEMPT;
        } else {
            // Checked after the pick, so a retry with no target left is never counted as refused.
            budget.refused(route, requestId, lastFailure.code());
            return null;
        }
        if (tried == NONE_TRIED) {
            firstTried = index;
        } else {
            tried.set(index);
        }
        left--;
        count++;
        target = targets.state(index);
        if (target != null) {
            target.begin();
        }
        return targets.peers().get(index);
    }

    /** Attempts started so far. */
    int count() {
        return count;
    }

    /** The current attempt's target answered with a response head. */
    void responded(long upstreamNanos, int code, long now) {
        if (target != null) {
            target.responded(upstreamNanos, code, now);
        }
    }

    /**
     * The current attempt failed with {@code status}; ends it and says whether the request goes
     * to another target: only while one is allowed, never once body bytes went out, and after
     * the request may have reached the target ({@code sent}) only when it is idempotent.
     */
    boolean failed(Peer peer, boolean sent, boolean bodySent, boolean idempotent, HttpResponseStatus status, String message,
                   Throwable cause) {
        if (target != null) {
            target.failed();
        }
        ended();
        lastFailure = status;
        lastMessage = message;
        boolean retry = !bodySent && (!sent || idempotent) && left > 0;
        ATTEMPT_FAILED.warn("target={} request_id={} sent={} retry={} error=\"{}\"", peer.key(), requestId, sent, retry,
                cause == null ? "closed" : cause.toString());
        return retry;
    }

    /** Gives back what the current attempt holds; idempotent. */
    void ended() {
        if (target != null) {
            target.end();
            target = null;
        }
        if (budgetHeld != NO_ATTEMPT) {
            route.retryBudget().attemptEnded(budgetHeld == RETRY_ATTEMPT);
            budgetHeld = NO_ATTEMPT;
        }
    }

    /** The answer when no attempt succeeds: the last failure, or 503 when there was no target. */
    HttpResponseStatus failureStatus() {
        return lastFailure;
    }

    String failureMessage() {
        return lastMessage;
    }
}
