package dev.gatehouse.e2e;

import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The drills' check that an answer is the answer to the request sent ({@link DrillClient}):
 * a raw server plays the answers a proxy could relay, the right one and wrong ones.
 */
class DrillClientTest {
    /** Serves one connection: reads each request head, then writes the next of {@code answers}. */
    static CompletableFuture<Void> serve(ServerSocket server, List<String> answers) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                for (String answer : answers) {
                    int matched = 0;
                    while (matched < 4) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        matched = (c == '\r' && matched % 2 == 0) || (c == '\n' && matched % 2 == 1) ? matched + 1 : 0;
                    }
                    s.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    static String answer(String servedBy, String echo, String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nContent-Type: text/plain\r\nX-Served-By: " + servedBy
                + "\r\n" + (echo == null ? "" : "X-Drill-Echo: " + echo + "\r\n") + "\r\n" + body;
    }

    @Test
    void theAnswerToItsOwnRequestPassesAndAnyOtherIsAWrongAnswer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
             DrillClient client = new DrillClient(server.getLocalPort(), 5_000)) {
            CompletableFuture<Void> done = serve(server, List.of(
                    answer("a", "r-1", "a r-1"),
                    answer("a", "r-1", "a r-1"))); // the previous request's answer again
            assertThat(client.get("/", "r-1").body()).isEqualTo("a r-1");
            assertThatThrownBy(() -> client.get("/", "r-2")).isInstanceOf(DrillClient.WrongAnswer.class)
                    .hasMessageContaining("request r-2 is the answer to r-1");
            done.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBodyOfAnotherRequestOrNoEchoIsAWrongAnswer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            // its own echo over another request's body (a head and a body mixed up), and no echo at all
            for (String wrong : List.of(answer("b", "r-9", "b r-8"), answer("b", null, "b r-9"))) {
                try (DrillClient client = new DrillClient(server.getLocalPort(), 5_000)) {
                    CompletableFuture<Void> done = serve(server, List.of(wrong));
                    assertThatThrownBy(() -> client.get("/", "r-9")).isInstanceOf(DrillClient.WrongAnswer.class);
                    done.get(30, TimeUnit.SECONDS);
                }
            }
        }
    }
}
