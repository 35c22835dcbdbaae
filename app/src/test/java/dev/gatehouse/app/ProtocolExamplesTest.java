package dev.gatehouse.app;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.files.LocalDirectory;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.IngressSelection;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.translate.Translator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gRPC and WebSocket examples of manifests/examples/: each passes {@code gatehouse local
 * --check} on its own, says what its comments say once translated (a {@code grpc} service whose
 * route keeps the gRPC path; a route with a 10-minute tunnel idle timeout and a key taken from the
 * query), and docs/proxy.md points to it. (Every file of manifests/examples/ together:
 * {@code IngressExamplesTest}.)
 */
class ProtocolExamplesTest {
    static final Path EXAMPLES = Path.of("../manifests/examples");

    private static Snapshot check(Path dir, String file, String... accepted) throws IOException {
        Files.copy(EXAMPLES.resolve(file), dir.resolve(file));
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains(accepted);
        return Translator.translate(ManifestReader.state(LocalDirectory.read(dir).objectsAsServed()), IngressSelection.DEFAULT,
                new TlsSettings(null, Instant.now())).snapshot();
    }

    @Test
    void theGrpcExampleIsAGrpcServiceWhosePathsAreKept(@TempDir Path dir) throws IOException {
        Snapshot s = check(dir, "grpc.yaml", "accepted: Upstream/default/greeter", "accepted: GatewayService/default/greeter",
                "accepted: GatewayRoute/default/greeter");
        assertThat(s.services()).singleElement().extracting(Service::protocol).isEqualTo(Service.Protocol.GRPC);
        Route route = s.routes().get(0);
        assertThat(route.stripPath()).isFalse();
        assertThat(route.paths()).contains("/helloworld.Greeter/");
    }

    @Test
    void theWebSocketExampleHasATenMinuteTunnelTimeoutAndAKeyInTheQuery(@TempDir Path dir) throws IOException {
        Snapshot s = check(dir, "websocket.yaml", "accepted: Upstream/default/ws-echo", "accepted: GatewayService/default/ws-echo",
                "accepted: GatewayRoute/default/chat", "accepted: Consumer/default/chat-client");
        Route chat = s.routes().get(0);
        assertThat(chat.websocketIdleTimeoutMillis()).isEqualTo(600_000L);
        assertThat(chat.keyAuth().keyInQuery()).isTrue();
        assertThat(chat.keyAuth().hideCredentials()).isTrue();
        assertThat(s.consumers()).singleElement().satisfies(c -> assertThat(c.credentials()).hasSize(1));
    }

    @Test
    void theProxyDocPointsToBoth() throws IOException {
        String doc = Files.readString(Path.of("../docs/proxy.md"));
        for (String file : List.of("grpc.yaml", "websocket.yaml")) {
            assertThat(doc).contains("(../manifests/examples/" + file + ")");
        }
    }
}
