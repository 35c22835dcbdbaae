package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.ClientLimits;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The byte scan of one request head, run once per head byte as the bytes arrive (the head may
 * come in many reads): it finds the head's end and refuses, at the byte where it shows, what
 * must never be parsed: a control character, a bare CR, obs-fold, a second Content-Length field,
 * a request line over {@code maxRequestLine}, more than {@code maxHeaders} fields or a field block
 * over {@code maxHeaderSize}. The reader index stays where the head starts until the head is
 * complete; the scan resumes where it stopped.
 */
final class HeadScan {
    static final int MORE = -1;
    static final int REFUSED = -2;

    static final String TOO_MANY_HEADERS = "too many headers";
    static final String HEADERS_TOO_LARGE = "headers too large";
    static final String LINE_TOO_LONG = "request line too long";

    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_ID = "x-request-id".getBytes(StandardCharsets.US_ASCII);

    private final ClientLimits limits;
    /** Bytes from the reader index already scanned. */
    private int scanned;
    private boolean started;
    private boolean sawRequestLine;
    private boolean afterLf;
    private boolean afterCr;
    private int lineLength;
    private int headerLines;
    private long headerBytes;
    /** Progress matching "content-length:" at the start of the current line; -1 when it cannot match. */
    private int nameMatch;
    private int contentLengthFields;
    private String refusal;

    HeadScan(ClientLimits limits) {
        this.limits = limits;
    }

    /** Whether a byte of this head arrived. */
    boolean started() {
        return started;
    }

    /** Whether the head's request line is complete. */
    boolean sawRequestLine() {
        return sawRequestLine;
    }

    /** The field lines of the head scanned so far. */
    int fields() {
        return headerLines;
    }

    /** Why the head was refused: one of the constants here or a message for the client. */
    String refusal() {
        return refusal;
    }

    void reset() {
        scanned = 0;
        started = false;
        sawRequestLine = false;
        afterLf = false;
        afterCr = false;
        lineLength = 0;
        headerLines = 0;
        headerBytes = 0;
        nameMatch = 0;
        contentLengthFields = 0;
        refusal = null;
    }

    /**
     * Scans what arrived of the head starting at the reader index.
     *
     * @return the index just past the head's empty line, {@link #MORE} while it has not arrived,
     *         {@link #REFUSED} ({@link #refusal()} says why)
     */
    int scan(ByteBuf in) {
        int start = in.readerIndex();
        int to = in.writerIndex();
        if (start + scanned < to) {
            started = true;
        }
        for (int i = start + scanned; i < to; i++) {
            int b = in.getByte(i) & 0xff;
            if (afterCr && b != '\n') {
                return refused(StrictRequestDecoder.BARE_CR);
            }
            if (b == '\n') {
                afterCr = false;
                if (sawRequestLine && lineLength == 0) {
                    scanned = 0;
                    return i + 1;
                }
                if (lineLength > 0) {
                    if (sawRequestLine) {
                        if (++headerLines > limits.maxHeaders()) {
                            return refused(TOO_MANY_HEADERS);
                        }
                        headerBytes += lineLength;
                    }
                    sawRequestLine = true;
                }
                lineLength = 0;
                nameMatch = 0;
                afterLf = true;
            } else if (b == '\r') {
                afterCr = true;
            } else {
                if ((b < 0x20 && b != '\t') || b == 0x7f) {
                    return refused(StrictRequestDecoder.CONTROL);
                }
                if (afterLf && sawRequestLine && (b == ' ' || b == '\t')) {
                    return refused(StrictRequestDecoder.OBS_FOLD);
                }
                afterLf = false;
                if (sawRequestLine && nameMatch >= 0) {
                    if (nameMatch == CONTENT_LENGTH.length) {
                        nameMatch = -1;
                        if (b == ':' && ++contentLengthFields > 1) {
                            return refused(StrictRequestDecoder.CL_REPEATED);
                        }
                    } else if ((b | 0x20) == CONTENT_LENGTH[nameMatch] || b == CONTENT_LENGTH[nameMatch]) {
                        nameMatch++;
                    } else {
                        nameMatch = -1;
                    }
                }
                lineLength++;
                if (!sawRequestLine ? lineLength > limits.maxRequestLine() : headerBytes + lineLength > limits.maxHeaderSize()) {
                    return refused(sawRequestLine ? HEADERS_TOO_LARGE : LINE_TOO_LONG);
                }
            }
        }
        scanned = to - start;
        return MORE;
    }

    private int refused(String why) {
        refusal = why;
        return REFUSED;
    }

    /**
     * The value of the first complete {@code X-Request-Id} field line in {@code [from, to)}, or
     * null: a refused head's answer carries the client's id when it sent one (the gate checks it).
     */
    static String requestId(ByteBuf in, int from, int to) {
        int line = from;
        while (line < to) {
            int lf = in.indexOf(line, to, (byte) '\n');
            if (lf < 0) {
                return null;
            }
            if (lf - line > REQUEST_ID.length && in.getByte(line + REQUEST_ID.length) == ':' && named(in, line)) {
                int a = line + REQUEST_ID.length + 1;
                int b = lf;
                while (a < b && (in.getByte(a) == ' ' || in.getByte(a) == '\t')) {
                    a++;
                }
                while (b > a && (in.getByte(b - 1) == ' ' || in.getByte(b - 1) == '\t' || in.getByte(b - 1) == '\r')) {
                    b--;
                }
                return in.toString(a, b - a, StandardCharsets.ISO_8859_1);
            }
            line = lf + 1;
        }
        return null;
    }

    private static boolean named(ByteBuf in, int at) {
        for (int i = 0; i < REQUEST_ID.length; i++) {
            if ((in.getByte(at + i) | 0x20) != REQUEST_ID[i]) {
                return false;
            }
        }
        return true;
    }
}
