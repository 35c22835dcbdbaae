package dev.gatehouse.proxy;

import java.util.Locale;

/**
 * Which socket transport the proxy's event loops use ({@code --transport}, docs/proxy.md).
 * {@link #AUTO} is native epoll when it loads, NIO otherwise; the others are asked for by name
 * and refused at start, with the reason, when this host cannot run them ({@link Transport#of}).
 */
public enum TransportChoice {
    /** epoll when available, else NIO: the default (docs/decisions.md says why not io_uring). */
    AUTO("auto"),
    /** Linux io_uring (5.14+; a container's seccomp profile must allow io_uring_setup/enter). */
    IO_URING("io_uring"),
    /** Linux epoll. */
    EPOLL("epoll"),
    /** Java NIO: every platform. */
    NIO("nio");

    private final String flag;

    TransportChoice(String flag) {
        this.flag = flag;
    }

    /** The name on the command line, in the chart and in the logs. */
    public String flag() {
        return flag;
    }

    /**
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static TransportChoice parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (TransportChoice c : values()) {
            if (c.flag.equals(v) || (c == IO_URING && v.equals("iouring"))) {
                return c;
            }
        }
        throw new IllegalArgumentException("transport: " + value + " (expected: auto, io_uring, epoll or nio)");
    }

    @Override
    public String toString() {
        return flag;
    }
}
