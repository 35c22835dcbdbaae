package dev.gatehouse.proxy;

import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact response head an HTTP/1.1 client receives for a table of target responses (the
 * head is written from the received bytes, the proxy's edits applied), the body as the proxy
 * re-frames it, and the connections after each framing: both kept alive after a framed body,
 * the target's closed after a body that ran to its close, the client's closed when the target
 * sent less than its Content-Length.
 */
class ResponseBytesTest {
    private static final String OWN = "via: 1.1 gatehouse\r\nx-request-id: req-1\r\n"
            + "x-gatehouse-upstream-latency: N\r\nx-gatehouse-proxy-latency: N\r\n";

    private RawBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new RawBackend();
        Upstream u = upstream("default/u", backend.port());
        proxy = ProxyServer.start(Fixtures.oneLoopConfig());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", u.id())),
                List.of(route("default/r", "default/s").paths("/").stripPath(false).build()), List.of(u), List.of()))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    /** A response as the client read it: the head verbatim (latencies as N), the body de-chunked, the trailer lines. */
    record Raw(String head, String body, String trailers, boolean chunked) {
    }

    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;

        Client(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(10_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        Raw exchange(String method, String path, String extra) throws IOException {
            socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: gw\r\nX-Request-Id: req-1\r\n" + extra + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            StringBuilder head = new StringBuilder();
            for (String l = line(); !l.isEmpty(); l = line()) {
                head.append(l).append("\r\n");
            }
            String h = head.toString().replaceAll("(x-gatehouse-[a-z]+-latency): \\d+", "$1: N");
            String lower = h.toLowerCase(Locale.ROOT);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            StringBuilder trailers = new StringBuilder();
            boolean chunked = lower.contains("\r\ntransfer-encoding: chunked\r\n");
            int code = Integer.parseInt(h.substring(9, 12));
            if (method.equals("HEAD") || code == 204 || code == 304) {
                return new Raw(h, "", "", chunked);
            }
            if (chunked) {
                for (String size = line(); ; size = line()) {
                    assertThat(size).as("the proxy's chunk-size lines carry no extension").matches("[0-9a-f]+");
                    int n = Integer.parseInt(size, 16);
                    if (n == 0) {
                        break;
                    }
                    body.write(in.readNBytes(n));
                    assertThat(line()).isEmpty();
                }
                for (String l = line(); !l.isEmpty(); l = line()) {
                    trailers.append(l).append("\r\n");
                }
            } else {
                int at = lower.indexOf("content-length: ");
                body.write(in.readNBytes(Integer.parseInt(lower.substring(at + 16, lower.indexOf("\r\n", at)))));
            }
            return new Raw(h, body.toString(StandardCharsets.ISO_8859_1), trailers.toString(), chunked);
        }

        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("closed after " + sb);
                }
                sb.append((char) c);
            }
            assertThat(sb.toString()).as("CRLF line ends").endsWith("\r");
            return sb.substring(0, sb.length() - 1);
        }

        boolean closedByServer() throws IOException {
            try {
                return in.read() == -1;
            } catch (java.net.SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private void respond(String path, String response) {
        byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
        backend.responder(r -> r.path().equals(path) ? bytes : RawBackend.echo(r));
    }

    private int upstreamConnectionOf(int request) {
        return backend.requests.get(request).connection();
    }

    @Test
    void aContentLengthResponseKeepsItsFieldsAndLosesItsHopByHopOnes() throws Exception {
        respond("/a", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: X-Hop, keep-alive\r\nX-Hop: 1\r\n"
                + "Keep-Alive: timeout=5\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nset-cookie:b=2 \r\nServer :  odd  \r\n"
                + "Proxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-Latin: \u00e9t\u00e9\r\n\r\nhello");
        try (Client c = new Client(proxy.port())) {
            Raw r = c.exchange("GET", "/a", "");
            assertThat(r.head()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                    + "Set-Cookie: a=1\r\nset-cookie: b=2\r\nServer: odd\r\nX-Latin: \u00e9t\u00e9\r\n" + OWN);
            assertThat(r.body()).isEqualTo("hello");
            assertThat(c.exchange("GET", "/next", "").body()).isEqualTo("GET /next");
        }
        assertThat(upstreamConnectionOf(1)).as("the target's connection was reused").isEqualTo(upstreamConnectionOf(0));
    }

    @Test
    void aChunkedBodyIsReChunkedWithoutExtensionsAndItsTrailersGoOnlyToWhoAskedForThem() throws Exception {
        respond("/c", "HTTP/1.1 200 Fine\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                + "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Sum: 13\r\n\r\n");
        try (Client c = new Client(proxy.port())) {
            Raw plain = c.exchange("GET", "/c", "");
            assertThat(plain.head()).isEqualTo("HTTP/1.1 200 Fine\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n" + OWN);
            assertThat(plain.body()).isEqualTo("abc0123456789");
            assertThat(plain.trailers()).isEmpty();
            Raw withTrailers = c.exchange("GET", "/c", "TE: trailers\r\n");
            assertThat(withTrailers.body()).isEqualTo("abc0123456789");
            assertThat(withTrailers.trailers()).isEqualTo("X-Sum: 13\r\n");
            assertThat(c.exchange("GET", "/next", "").body()).isEqualTo("GET /next");
        }
        assertThat(upstreamConnectionOf(2)).isEqualTo(upstreamConnectionOf(0));
    }

    @Test
    void aViaTheTargetSentIsExtended() throws Exception {
        respond("/v", "HTTP/1.1 200 OK\r\nVia: 1.0 inner\r\nContent-Length: 0\r\nX-B: 2\r\n\r\n");
        try (Client c = new Client(proxy.port())) {
            assertThat(c.exchange("GET", "/v", "").head()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-B: 2\r\n"
                    + OWN.replace("via: 1.1 gatehouse", "via: 1.0 inner, 1.1 gatehouse"));
        }
    }

    @Test
    void aBodyThatRunsToTheCloseIsChunkedForTheClientWhoseConnectionStays() throws Exception {
        backend.responder(r -> r.path().equals("/close")
                ? "HTTP/1.0 203 Whatever\r\nX-C: 3\r\n\r\nuntil the end".getBytes(StandardCharsets.ISO_8859_1) : RawBackend.echo(r));
        backend.closeAfter(r -> r.path().equals("/close"));
        try (Client c = new Client(proxy.port())) {
            Raw r = c.exchange("GET", "/close", "");
            assertThat(r.head()).isEqualTo("HTTP/1.1 203 Whatever\r\nX-C: 3\r\ntransfer-encoding: chunked\r\n" + OWN);
            assertThat(r.body()).isEqualTo("until the end");
            assertThat(c.exchange("GET", "/next", "").body()).isEqualTo("GET /next");
        }
        assertThat(backend.connections()).as("the target's connection ended with its body; a new one served the next").isEqualTo(2);
    }

    @Test
    void bodilessResponsesKeepTheirLengthAndSendNoBody() throws Exception {
        backend.responder(r -> (switch (r.path()) {
            case "/head" -> "HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX-H: 1\r\n\r\n";
            case "/204" -> "HTTP/1.1 204 No Content\r\nX-N: 1\r\n\r\n";
            default -> "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n";
        }).getBytes(StandardCharsets.ISO_8859_1));
        try (Client c = new Client(proxy.port())) {
            assertThat(c.exchange("HEAD", "/head", "").head())
                    .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX-H: 1\r\n" + OWN);
            assertThat(c.exchange("GET", "/204", "").head()).isEqualTo("HTTP/1.1 204 No Content\r\nX-N: 1\r\n" + OWN);
            assertThat(c.exchange("GET", "/304", "").head()).isEqualTo("HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n" + OWN);
        }
        assertThat(backend.connections()).as("one target connection served all three").isEqualTo(1);
    }

    @Test
    void aTargetThatSendsLessThanItsContentLengthCutsTheClientsResponse() throws Exception {
        backend.responder(r -> r.path().equals("/short")
                ? "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1) : null);
        backend.closeAfter(r -> true);
        try (Client c = new Client(proxy.port())) {
            c.socket.getOutputStream().write("GET /short HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            byte[] got = c.in.readAllBytes(); // ends only when the proxy closes the connection
            String text = new String(got, StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n").endsWith("\r\n\r\nabc");
        }
    }

    @Test
    void anHttp2ClientGetsTheSameFieldsLowercasedWithoutTheHopByHopOnes() throws Exception {
        respond("/h2", "HTTP/1.1 200 OK\r\nX-Dup: 1\r\nConnection: X-Hop\r\nX-Hop: gone\r\nx-dup:  2 \r\n"
                + "Keep-Alive: timeout=5\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nhi\r\n0\r\nX-Sum: 2\r\n\r\n");
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Response r = c.exchange(H2Client.headers("GET", "/h2", "gw").add("x-request-id", "req-1"), null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().getAll("x-dup")).map(CharSequence::toString).containsExactly("1", "2");
            assertThat(r.headers().get("content-type")).hasToString("text/plain");
            assertThat(r.headers().get("via")).hasToString("1.1 gatehouse");
            assertThat(r.headers().get("x-request-id")).hasToString("req-1");
            for (String hop : List.of("x-hop", "connection", "keep-alive", "transfer-encoding")) {
                assertThat(r.headers().contains(hop)).as(hop).isFalse();
            }
            assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo("hi");
            assertThat(r.trailers().get("x-sum")).hasToString("2");
        }
    }
}
