package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection parses its next head into the objects and buffer of a head nothing reads any more
 * (docs/decisions.md, "Heads kept per connection"): the target's connection its response heads
 * (for an HTTP/1.1 client, which writes each head to bytes before the next can be decoded; an
 * HTTP/2 client's get objects of their own), the client's connection its request heads once their
 * exchange finished. Each test sends heads of different sizes and fields one after the other on
 * one connection, so a head parsed into a previous one's objects — with fewer fields, a longer
 * buffer, marks of removed fields, appended ones — shows anything left of it in the exact bytes.
 */
class HeadsKeptPerConnectionTest extends OneProxy {
    private static final String OWN = "via: 1.1 gatehouse\r\nx-request-id: ID\r\n"
            + "x-gatehouse-upstream-latency: N\r\nx-gatehouse-proxy-latency: N\r\n";
    private static final String HUGE = "v".repeat(9000); // over the buffer a connection keeps (8 KiB)

    /** What the target answers per path, and the head the HTTP/1.1 client must receive for it (before {@link #OWN}). */
    private static final Map<String, String[]> ANSWERS = new LinkedHashMap<>();

    static {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            many.append("X-F").append(i).append(": value-").append(i).append("-").append("x".repeat(i)).append("\r\n");
        }
        answer("/many", "HTTP/1.1 200 OK\r\n" + many + "Content-Length: 4\r\n\r\nmany",
                "HTTP/1.1 200 OK\r\n" + many + "Content-Length: 4\r\n");
        // hop-by-hop fields at indexes 0 and 1 are marked removed: the next head's fields there stay
        answer("/hop", "HTTP/1.1 201 Created\r\nConnection: X-Hop\r\nX-Hop: 1\r\nX-Keep: kept\r\nContent-Length: 3\r\n\r\nhop",
                "HTTP/1.1 201 Created\r\nX-Keep: kept\r\nContent-Length: 3\r\n");
        answer("/small", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ns", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n");
        answer("/huge", "HTTP/1.1 200 OK\r\nX-Huge: " + HUGE + "\r\nContent-Length: 4\r\n\r\nhuge",
                "HTTP/1.1 200 OK\r\nX-Huge: " + HUGE + "\r\nContent-Length: 4\r\n");
        answer("/chunked", "HTTP/1.1 200 Fine\r\nX-C: c\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                "HTTP/1.1 200 Fine\r\nX-C: c\r\ntransfer-encoding: chunked\r\n");
        answer("/none", "HTTP/1.1 204 No Content\r\nX-N: n\r\n\r\n", "HTTP/1.1 204 No Content\r\nX-N: n\r\n");
        answer("/odd", "HTTP/1.1 299 Odd Reason\r\nX-Z: z\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 299 Odd Reason\r\nX-Z: z\r\nContent-Length: 0\r\n");
    }

    private static void answer(String path, String target, String client) {
        ANSWERS.put(path, new String[] {target, client});
    }

    /** The paths in an order where every size and shape follows another. */
    private static final List<String> ORDER = List.of("/many", "/hop", "/small", "/huge", "/small", "/chunked", "/none",
            "/odd", "/many", "/hop", "/none", "/huge", "/many");

    private RawBackend backend;

    private void start(int... more) throws Exception {
        start(null, more);
    }

    private void start(Path accessLog, int... more) throws Exception {
        backend = rawBackend();
        backend.responder(r -> {
            String[] a = ANSWERS.get(r.path());
            return a != null ? a[0].getBytes(StandardCharsets.ISO_8859_1) : RawBackend.echo(r);
        });
        int[] ports = new int[more.length + 1];
        System.arraycopy(more, 0, ports, 0, more.length);
        ports[more.length] = backend.port();
        // one event loop: every client's requests share one upstream pool, so one target connection
        proxy = accessLog == null ? ProxyServer.start(Fixtures.oneLoopConfig())
                : ProxyServer.start(Fixtures.oneLoopConfig(), new SimpleMeterRegistry(), AccessLogDestination.file(accessLog));
        routeEverythingTo(ports);
    }

    private static String expectedHead(String path, String id) {
        return ANSWERS.get(path)[1] + OWN.replace("ID", id);
    }

    private static String expectedBody(String path) {
        String target = ANSWERS.get(path)[0];
        String body = target.substring(target.indexOf("\r\n\r\n") + 4);
        return path.equals("/chunked") ? "abc" : body;
    }

    @Test
    void anHttp11ClientGetsEveryResponseHeadExactlyOnOneKeptAliveTargetConnection() throws Exception {
        start();
        try (RawClient c = new RawClient(proxy.port())) {
            for (int i = 0; i < ORDER.size(); i++) {
                String path = ORDER.get(i);
                c.write("GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-Request-Id: k-" + i + "\r\n\r\n");
                RawClient.Response r = c.read();
                assertThat(r.head()).as("response %d (%s)", i, path).isEqualTo(expectedHead(path, "k-" + i));
                assertThat(r.body()).isEqualTo(expectedBody(path));
            }
        }
        assertThat(backend.connections()).as("every response on one target connection").isEqualTo(1);
        assertThat(backend.requests).hasSize(ORDER.size());
    }

    @Test
    void pipelinedRequestsGetEveryResponseHeadExactly() throws Exception {
        start();
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < ORDER.size(); i++) {
            all.append("GET ").append(ORDER.get(i)).append(" HTTP/1.1\r\nHost: gw\r\nX-Request-Id: p-").append(i).append("\r\n\r\n");
        }
        try (RawClient c = new RawClient(proxy.port())) {
            c.write(all.toString());
            for (int i = 0; i < ORDER.size(); i++) {
                String path = ORDER.get(i);
                RawClient.Response r = c.read();
                assertThat(r.head()).as("pipelined response %d (%s)", i, path).isEqualTo(expectedHead(path, "p-" + i));
                assertThat(r.body()).isEqualTo(expectedBody(path));
            }
        }
        assertThat(backend.connections()).isEqualTo(1);
    }

    /**
     * HTTP/2 streams and an HTTP/1.1 client take turns on one target connection: the HTTP/2 ones'
     * heads (objects of their own, their HEADERS maybe encoded later) and the HTTP/1.1 ones'
     * (parsed into one kept head) each arrive whole.
     */
    @Test
    void http2StreamsAndAnHttp11ClientTakingTurnsOnOneTargetConnectionEachGetTheirOwnHeads() throws Exception {
        start();
        // the client takes the 9 000-byte field (its default header list limit is 8 KiB)
        try (H2Client h2 = new H2Client(proxy.port(), Http2Settings.defaultSettings().maxHeaderListSize(65536));
             RawClient h1 = new RawClient(proxy.port())) {
            for (int i = 0; i < ORDER.size(); i++) {
                String path = ORDER.get(i);
                if (i % 3 == 1) {
                    h1.write("GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-Request-Id: m-" + i + "\r\n\r\n");
                    RawClient.Response r = h1.read();
                    assertThat(r.head()).as("HTTP/1.1 response %d (%s)", i, path).isEqualTo(expectedHead(path, "m-" + i));
                    assertThat(r.body()).isEqualTo(expectedBody(path));
                    continue;
                }
                H2Client.Response r = h2.exchange(H2Client.headers("GET", path, "gw").add("x-request-id", "m-" + i), null);
                String expected = ANSWERS.get(path)[1];
                assertThat(r.status()).as("HTTP/2 response %d (%s)", i, path).isEqualTo(Integer.parseInt(expected.substring(9, 12)));
                assertThat(h2Fields(r.headers())).as("HTTP/2 response %d (%s)", i, path)
                        .containsExactlyInAnyOrderElementsOf(h2Expected(expected, "m-" + i));
                assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo(expectedBody(path));
            }
        }
        assertThat(backend.connections()).as("every response on one target connection").isEqualTo(1);
    }

    /**
     * The fields an HTTP/2 client gets for a target's head, in any order (its Content-Length is set
     * again, so it moves): names in lower case, no framing field, the proxy's own.
     */
    private static List<String> h2Expected(String http1Head, String id) {
        List<String> out = new ArrayList<>();
        for (String line : (http1Head + OWN.replace("ID", id)).split("\r\n")) {
            int colon = line.indexOf(':');
            if (line.startsWith("HTTP/") || colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            if (!name.equals("transfer-encoding") && !name.startsWith("x-gatehouse-")) {
                out.add(name + ": " + line.substring(colon + 2));
            }
        }
        return out;
    }

    private static List<String> h2Fields(Http2Headers headers) {
        List<String> out = new ArrayList<>();
        headers.forEach(e -> {
            String name = e.getKey().toString();
            if (!name.startsWith(":") && !name.startsWith("x-gatehouse-")) {
                out.add(name + ": " + e.getValue());
            }
        });
        return out;
    }

    /**
     * Pipelined pairs of requests whose heads differ (fields, sizes, a body), over a refusing target
     * and a live one, so some are retried: each retry carries its own head's exact bytes, though
     * a later request was meanwhile decoded into the head of one that finished.
     */
    @Test
    void aRetriedRequestBehindAPipelinedOneCarriesItsOwnHeadsExactBytes(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.log");
        start(log, Backend.deadPort());
        String fields = "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: gw\r\n"
                + "x-forwarded-port: PORT\r\nvia: 1.1 gatehouse\r\nhost: 127.0.0.1:" + backend.port() + "\r\n";
        List<String> expected = new ArrayList<>();
        try (RawClient c = new RawClient(proxy.port())) {
            String own = fields.replace("PORT", Integer.toString(proxy.port()));
            for (int round = 0; round < 6; round++) {
                String first = "GET /echo/" + round + "/long?q=" + "a".repeat(100 * round) + " HTTP/1.1\r\nHost: gw\r\n"
                        + "X-Request-Id: r-" + round + "-1\r\nAccept: text/plain\r\nX-Extra-" + round + ": " + "e".repeat(300 * round)
                        + "\r\nX-Tail: t\r\n\r\n";
                String second = round % 2 == 0
                        ? "POST /echo/" + round + "/post HTTP/1.1\r\nHost: gw\r\nX-Request-Id: r-" + round + "-2\r\n"
                                + "Content-Length: 5\r\n\r\nhello"
                        : "GET /echo/" + round + "/short HTTP/1.1\r\nHost: gw\r\nX-Request-Id: r-" + round + "-2\r\n\r\n";
                c.write(first + second);
                expected.add("GET /echo/" + round + "/long?q=" + "a".repeat(100 * round) + " HTTP/1.1\r\nAccept: text/plain\r\n"
                        + "X-Extra-" + round + ": " + "e".repeat(300 * round) + "\r\nX-Tail: t\r\nx-request-id: r-" + round + "-1\r\n"
                        + own + "\r\n");
                expected.add(round % 2 == 0
                        ? "POST /echo/" + round + "/post HTTP/1.1\r\nx-request-id: r-" + round + "-2\r\ncontent-length: 5\r\n" + own
                                + "\r\nhello"
                        : "GET /echo/" + round + "/short HTTP/1.1\r\nx-request-id: r-" + round + "-2\r\n" + own + "\r\n");
                for (int k = 1; k <= 2; k++) {
                    RawClient.Response r = c.read();
                    assertThat(r.head()).as("round %d request %d", round, k).startsWith("HTTP/1.1 200 OK\r\n")
                            .contains("x-request-id: r-" + round + "-" + k + "\r\n");
                }
            }
        }
        assertThat(backend.requests).extracting(RawBackend.Request::raw).containsExactlyElementsOf(expected);
        assertThat(backend.leftover()).isEmpty();
        proxy.close(); // writes what is queued
        proxy = null;
        List<JsonNode> lines = Fixtures.accessLog(log);
        assertThat(lines).hasSize(expected.size());
        assertThat(lines.stream().mapToInt(l -> l.get("retries").asInt()).sum())
                .as("requests that went to the refusing target first").isPositive();
    }

    /** Reads responses off one connection: the head verbatim (latencies as N), the body de-chunked. */
    private static final class RawClient implements AutoCloseable {
        record Response(String head, String body) {
        }

        private final Socket socket;
        private final InputStream in;

        RawClient(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream());
        }

        void write(String s) throws IOException {
            socket.getOutputStream().write(s.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
        }

        Response read() throws IOException {
            StringBuilder head = new StringBuilder();
            for (String l = line(); !l.isEmpty(); l = line()) {
                head.append(l).append("\r\n");
            }
            String h = head.toString().replaceAll("(x-gatehouse-[a-z]+-latency): \\d+", "$1: N");
            String lower = h.toLowerCase(Locale.ROOT);
            int code = Integer.parseInt(h.substring(9, 12));
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (code == 204 || code == 304) {
                return new Response(h, "");
            }
            if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
                for (int n = Integer.parseInt(line(), 16); n > 0; n = Integer.parseInt(line(), 16)) {
                    body.write(in.readNBytes(n));
                    assertThat(line()).isEmpty();
                }
                assertThat(line()).isEmpty();
            } else {
                int at = lower.indexOf("content-length: ");
                body.write(in.readNBytes(Integer.parseInt(lower.substring(at + 16, lower.indexOf("\r\n", at)))));
            }
            return new Response(h, body.toString(StandardCharsets.ISO_8859_1));
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("closed after " + sb);
                }
                sb.append((char) c);
            }
            return sb.substring(0, sb.length() - 1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
