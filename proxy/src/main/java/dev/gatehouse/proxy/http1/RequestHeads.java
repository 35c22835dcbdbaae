package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;

/**
 * The request heads of one HTTP/1.1 client connection, parsed into objects and buffers the
 * connection keeps: a head whose exchange finished is {@link ParsedRequest#release released} back
 * here, and the next head the connection receives is parsed into it (its {@link ParsedRequest},
 * {@link HeadFields}, field offsets, appended fields' array and a copy buffer of up to
 * {@value HeadParser#KEPT_BUFFER} bytes), instead of making them again for every request.
 *
 * <p>More than one head is alive at a time when requests are pipelined: those decoded ahead of
 * their turn wait in the connection's queue while the current one is proxied (and kept for its
 * retries and its access-log record until its exchange finishes). A head is made new when none
 * is free, and at most {@value #KEPT} released ones are kept. Used on the connection's event loop
 * only.
 */
public final class RequestHeads {
    /** The current request's head and one decoded ahead: what a kept-alive or lightly pipelined connection cycles through. */
    static final int KEPT = 2;

    private final ParsedRequest[] free = new ParsedRequest[KEPT];
    private int freeCount;

    /**
     * The head in {@code in} from {@code from} to {@code to} (exactly one head, the empty line
     * last), {@code fieldCount} field lines in it ({@link RequestHeadParser#parse(byte[], int)}):
     * parsed into a released head when there is one. The reader index is not moved.
     */
    public ParsedRequest parse(ByteBuf in, int from, int to, int fieldCount) {
        ParsedRequest into = null;
        if (freeCount > 0) {
            into = free[--freeCount];
            free[freeCount] = null;
        }
        int n = to - from;
        byte[] bytes = HeadParser.buffer(into == null ? null : into.headers().bytes(), n);
        in.getBytes(from, bytes, 0, n);
        ParsedRequest p;
        try {
            p = RequestHeadParser.parse(bytes, n, fieldCount, into);
        } catch (MalformedRequest e) {
            if (into != null) {
                release(into);
            }
            throw e;
        }
        p.takenFrom(this);
        return p;
    }

    /** {@code head}'s exchange finished: kept for a later head when there is room. */
    void release(ParsedRequest head) {
        if (freeCount < KEPT) {
            free[freeCount++] = head;
        }
    }

    /** How many released heads are kept (tests). */
    int free() {
        return freeCount;
    }
}
