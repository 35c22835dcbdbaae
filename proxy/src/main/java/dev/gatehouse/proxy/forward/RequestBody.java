package dev.gatehouse.proxy.forward;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.ArrayDeque;

/**
 * A request body on its way to the target, with backpressure: the client is read only while the
 * attempt's connection takes what is written ({@link #readComplete}, {@link #writable}). Chunks
 * that arrive before the upstream connection is ready are queued — at most one read's worth, as
 * the client is not read meanwhile — and the rest streams. Once a body byte went out the
 * request can no longer be replayed on another target: nothing is kept for that.
 */
final class RequestBody {
    /**
     * The first chunk queued, and the rest in {@link #more}: a bodiless request queues exactly one
     * (its empty last content), so the deque is made only for a body that came in several pieces.
     */
    private HttpContent first;
    private ArrayDeque<HttpContent> more;
    private final Downstream client;
    /** The connection of the attempt whose head was written; null between attempts. */
    private Channel target;
    /** The attempt writing to {@link #target}: its listener is told of every body write. */
    private UpstreamAttempt attempt;
    /** The current attempt's head carried the request's end: the decoder's empty end is not written again. */
    private boolean endInHead;
    /** Something was written to {@link #target} since its last flush. */
    private boolean unflushed;
    private boolean complete;
    private boolean sent;
    private boolean bytesSent;

    RequestBody(Downstream client) {
        this.client = client;
    }

    /**
     * Empty again for the next request of a kept-alive connection ({@link Exchange#reusable}): the
     * previous request's body was complete and nothing of it is queued; anything left is released.
     */
    void reset() {
        discard();
        attempt = null;
        endInHead = false;
        complete = false;
        sent = false;
        bytesSent = false;
    }

    /** The client's last chunk arrived (or the rest of the body was refused). */
    boolean complete() {
        return complete;
    }

    void markComplete() {
        complete = true;
    }

    /** The whole body was written on the current attempt. */
    boolean fullySent() {
        return sent;
    }

    /** A body byte (or a trailer) was written on some attempt: the request cannot be replayed. */
    boolean bytesSent() {
        return bytesSent;
    }

    /** Writes {@code c} to the attempt's connection, or queues it while there is none. */
    void offer(HttpContent c) {
        if (c instanceof LastHttpContent) {
            complete = true;
        }
        if (target == null) {
            queue(c);
        } else {
            write(target, c);
        }
    }

    /** A chunk nobody needs any more (the proxy answered already). */
    void drop(HttpContent c) {
        if (c instanceof LastHttpContent) {
            complete = true;
        }
        c.release();
    }

    /**
     * Starts an attempt on {@code target} whose head was written: sends what was queued, and
     * reads the client on while the target takes it.
     *
     * @param attempt   the attempt whose {@link UpstreamAttempt#writeListener} is notified of every write to the target
     * @param endInHead the head written carried the request's end (a bodiless request)
     */
    void startAttempt(Channel target, UpstreamAttempt attempt, boolean endInHead) {
        this.target = target;
        this.attempt = attempt;
        this.endInHead = endInHead;
        sent = endInHead;
        unflushed = false;
        for (HttpContent c = poll(); c != null; c = poll()) {
            write(target, c);
        }
        if (complete && !sent) {
            // a replayed request whose (empty) end was sent on an earlier attempt
            write(target, LastHttpContent.EMPTY_LAST_CONTENT);
        }
        flush();
        if (!complete && target.isWritable()) {
            client.read();
        }
    }

    private void queue(HttpContent c) {
        if (first == null && (more == null || more.isEmpty())) {
            first = c;
            return;
        }
        if (more == null) {
            more = new ArrayDeque<>(4);
        }
        more.add(c);
    }

    /** The oldest chunk queued, or null. */
    private HttpContent poll() {
        HttpContent c = first;
        if (c != null) {
            first = null;
            return c;
        }
        return more == null ? null : more.poll();
    }

    /** The attempt ended: what comes next is queued for the next one (or dropped). */
    void endAttempt() {
        target = null;
        attempt = null;
        unflushed = false;
    }

    /** Flushes the target when something was written since the last flush (a read batch of a bodiless request writes nothing). */
    private void flush() {
        if (unflushed) {
            unflushed = false;
            target.flush();
        }
    }

    /**
     * The client's read batch ended: flushed to the target, and the client read on while the
     * target takes more; with no attempt under way, read on only to drain the rest of a body
     * nobody needs (the response is complete).
     */
    void readComplete(boolean responseComplete) {
        if (target != null) {
            flush();
            if (!complete && target.isWritable()) {
                client.read();
            }
        } else if (responseComplete && !complete) {
            client.read();
        }
    }

    /** The attempt's connection takes writes again. */
    void writable() {
        if (target != null && !complete) {
            client.read();
        }
    }

    void discard() {
        target = null;
        attempt = null;
        unflushed = false;
        for (HttpContent c = poll(); c != null; c = poll()) {
            c.release();
        }
    }

    private void write(Channel target, HttpContent c) {
        if (c instanceof LastHttpContent last) {
            if (endInHead) {
                // the head carried the end already; a bodiless request's decoder yields only this empty end
                last.release();
                return;
            }
            sent = true;
            if (!last.content().isReadable() && last.trailingHeaders().isEmpty()) {
                last.release();
                unflushed = true;
                target.write(LastHttpContent.EMPTY_LAST_CONTENT).addListener(attempt.writeListener());
                return;
            }
        } else if (!c.content().isReadable()) {
            c.release();
            return;
        }
        bytesSent = true;
        unflushed = true;
        target.write(c).addListener(attempt.writeListener());
    }
}
