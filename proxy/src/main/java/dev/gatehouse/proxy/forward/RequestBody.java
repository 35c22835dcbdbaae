package dev.gatehouse.proxy.forward;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.ArrayDeque;

/**
 * A request body on its way to the target. Chunks that arrive before the upstream connection is
 * ready are queued — at most one read's worth, as the client is not read meanwhile — and the
 * rest streams. Once a body byte went out the request can no longer be replayed on another
 * target: nothing is kept for that.
 */
final class RequestBody {
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>(2);
    private final ChannelFutureListener writeDone;
    private boolean complete;
    private boolean sent;
    private boolean bytesSent;

    /** @param writeDone notified of every write to the target */
    RequestBody(ChannelFutureListener writeDone) {
        this.writeDone = writeDone;
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

    /** @param target the upstream connection when it can take the chunk now, else null (queued) */
    void offer(HttpContent c, Channel target) {
        if (c instanceof LastHttpContent) {
            complete = true;
        }
        if (target == null) {
            queued.add(c);
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

    /** Starts an attempt on {@code target} whose head was written: sends what was queued. */
    void startAttempt(Channel target) {
        sent = false;
        for (HttpContent c = queued.poll(); c != null; c = queued.poll()) {
            write(target, c);
        }
        if (complete && !sent) {
            // a replayed request whose (empty) end was sent on an earlier attempt
            write(target, LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    void discard() {
        for (HttpContent c = queued.poll(); c != null; c = queued.poll()) {
            c.release();
        }
    }

    private void write(Channel target, HttpContent c) {
        if (c instanceof LastHttpContent last) {
            sent = true;
            if (!last.content().isReadable() && last.trailingHeaders().isEmpty()) {
                last.release();
                target.write(LastHttpContent.EMPTY_LAST_CONTENT).addListener(writeDone);
                return;
            }
        } else if (!c.content().isReadable()) {
            c.release();
            return;
        }
        bytesSent = true;
        target.write(c).addListener(writeDone);
    }
}
