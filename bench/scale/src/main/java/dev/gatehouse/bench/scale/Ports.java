package dev.gatehouse.bench.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for the processes the harness starts, which take a fixed port (a proxy's opens only with its first snapshot). */
final class Ports {
    private Ports() {
    }

    /** A loopback port that was free a moment ago (bound to 0, read, closed). */
    static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port: " + e.getMessage(), e);
        }
    }
}
