package dev.gatehouse.proxy.routing;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A request's host read once: what the router, X-Forwarded-Host and a preserved Host each get. */
class RequestHostTest {
    private static final String[] HOSTS = {"example.com", "Example.COM:8080", "api.example.com.", "API.Example.com.:443",
        "[::1]", "[::1]:8000", "[FE80::1]", "127.0.0.1:8080", "", " example.com ", "a:b:80"};

    @Test
    void theRoutingNameIsTheRoutersOwnFormOfTheHost() {
        for (String host : HOSTS) {
            assertThat(RequestHost.of(host).routingName()).as(host).isEqualTo(Router.hostName(host));
        }
    }

    @Test
    void theNameDropsThePortAndKeepsTheClientsCase() {
        assertThat(RequestHost.of("Example.COM:8080").name()).isEqualTo("Example.COM");
        assertThat(RequestHost.of("[::1]:8000").name()).isEqualTo("[::1]");
        assertThat(RequestHost.of("[::1]").name()).isEqualTo("[::1]");
        assertThat(RequestHost.of("api.example.com.").name()).isEqualTo("api.example.com.");
        assertThat(RequestHost.of("127.0.0.1:8080").name()).isEqualTo("127.0.0.1");
    }

    @Test
    void theAuthorityIsTheValueAsReceived() {
        for (String host : HOSTS) {
            assertThat(RequestHost.of(host).authority()).isEqualTo(host);
        }
        assertThat(RequestHost.of("").isEmpty()).isTrue();
        assertThat(RequestHost.of((CharSequence) null)).isNull();
    }

    @Test
    void aViewOverAHeadsBytesGivesTheSameAnswersAsItsString() {
        byte[] head = "Host: Example.COM:8080\r\n".getBytes(StandardCharsets.ISO_8859_1);
        RequestHost view = RequestHost.of(new AsciiString(head, 6, 16, false));
        assertThat(view.authority()).isEqualTo("Example.COM:8080");
        assertThat(view.name()).isEqualTo("Example.COM");
        assertThat(view.routingName()).isEqualTo("example.com");
    }

    @Test
    void aHostAlreadyInTheRoutersFormIsOneString() {
        RequestHost h = RequestHost.of("example.com");
        assertThat(h.routingName()).isSameAs(h.name()).isSameAs(h.authority());
        RequestHost withPort = RequestHost.of("127.0.0.1:8080");
        assertThat(withPort.routingName()).isSameAs(withPort.name());
    }
}
