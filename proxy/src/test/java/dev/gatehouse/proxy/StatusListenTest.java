package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the status port listens: on each address given, one port, nowhere else. */
class StatusListenTest {

    @Test
    void listensOnEachAddressGivenOnOnePortAndNowhereElse() throws Exception {
        try (ProxyServer proxy = ProxyServer.start(Fixtures.config());
             StatusServer status = StatusServer.start(List.of("127.0.0.2", "127.0.0.3"), 0, proxy)) {
            int port = status.port();
            assertThat(status.addresses()).extracting(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                    .containsExactly("127.0.0.2:" + port, "127.0.0.3:" + port);
            assertThat(healthz("127.0.0.2", port)).isTrue();
            assertThat(healthz("127.0.0.3", port)).isTrue();
            assertThat(healthz("127.0.0.1", port)).as("an address not given").isFalse();
        }
    }

    @Test
    void anAddressThatCannotBeBoundIsNamed() throws Exception {
        try (ProxyServer proxy = ProxyServer.start(Fixtures.config());
             ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.3"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> StatusServer.start(List.of("127.0.0.2", "127.0.0.3"), port, proxy))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.3:" + port + " (status port): ")
                    .hasMessageContaining("--status-address");
            // the first address was let go again
            try (ServerSocket again = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
                assertThat(again.getLocalPort()).isEqualTo(port);
            }
        }
    }

    private static boolean healthz(String host, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n".getBytes());
            return new String(s.getInputStream().readAllBytes()).startsWith("HTTP/1.1 200 ");
        } catch (ConnectException refused) {
            return false;
        }
    }
}
