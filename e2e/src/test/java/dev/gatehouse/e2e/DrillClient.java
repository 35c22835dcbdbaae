package dev.gatehouse.e2e;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A keep-alive HTTP/1.1 client over a plain socket, for the drills: it never retries and never
 * hides a reset, so every failure the proxy let through is counted. Each request carries
 * {@code X-Drill-Id}, which the {@link DrillBackend}s record and echo. A connection the proxy closed (or
 * said {@code Connection: close} on) is replaced before the next request; one that failed
 * mid-request is a failure of that request.
 *
 * <p>Every answer that names a backend ({@code X-Served-By}) must be the answer to the request
 * just sent: its {@code X-Drill-Echo} equal to the request's id, and a small text body equal to
 * {@code <backend> <id>}. Anything else is a response relayed to the wrong request, the worst
 * fault a proxy can have: it is thrown as a {@link WrongAnswer} (the connection is dropped, as
 * what follows on it is out of step), so every drill counts it as a failure.
 */
final class DrillClient implements AutoCloseable {
    /** An answer that is not the answer to the request sent: another request's, or one with no identity. */
    static final class WrongAnswer extends IOException {
        WrongAnswer(String sent, Response r) {
            super("the answer to request " + sent + " is the answer to " + DrillBackend.header(r.head(), "x-drill-echo")
                    + " (X-Served-By " + r.servedBy() + ", body \"" + r.body() + "\")");
        }
    }

    /** What the client saw: status, the backend that answered (X-Served-By), body (up to 4 KiB kept), and its length. */
    record Response(int status, String servedBy, String body, long length, String head) {
    }

    private final int port;
    private final int readTimeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    DrillClient(int port) {
        this(port, 15_000);
    }

    DrillClient(int port, int readTimeoutMillis) {
        this.port = port;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    Response get(String path, String id) throws IOException {
        return send("GET", path, id, null);
    }

    Response post(String path, String id, byte[] body) throws IOException {
        return send("POST", path, id, body);
    }

    Response send(String method, String path, String id, byte[] body) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            socket.setSoTimeout(readTimeoutMillis);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }
        try {
            StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: drill.test\r\n");
            if (id != null) {
                req.append("X-Drill-Id: ").append(id).append("\r\n");
            }
            if (body != null) {
                req.append("Content-Length: ").append(body.length).append("\r\n");
            }
            out.write(req.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            Response r = read();
            if (id != null && r.servedBy() != null && !answers(r, id)) {
                throw new WrongAnswer(id, r);
            }
            if ("close".equalsIgnoreCase(DrillBackend.header(r.head(), "connection"))) {
                close();
            }
            return r;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** True when {@code r}, from a drill backend, answers the request with {@code id}. */
    static boolean answers(Response r, String id) {
        if (!id.equals(DrillBackend.header(r.head(), "x-drill-echo"))) {
            return false;
        }
        String type = DrillBackend.header(r.head(), "content-type");
        return !"text/plain".equals(type) || r.body().equals(DrillBackend.smallBody(r.servedBy(), id));
    }

    private Response read() throws IOException {
        String head = head();
        int status = Integer.parseInt(head.substring(9, 12));
        if (status >= 100 && status < 200) {
            return read();
        }
        StringBuilder kept = new StringBuilder();
        long length = 0;
        String te = DrillBackend.header(head, "transfer-encoding");
        String cl = DrillBackend.header(head, "content-length");
        byte[] buf = new byte[16 * 1024];
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                length += body(size, buf, kept);
                line();
            }
            while (!line().isEmpty()) {
                // trailer fields
            }
        } else if (cl != null) {
            length = body(Long.parseLong(cl.trim()), buf, kept);
        }
        return new Response(status, DrillBackend.header(head, "x-served-by"), kept.toString(), length, head);
    }

    private long body(long size, byte[] buf, StringBuilder kept) throws IOException {
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("response body cut short: " + (size - left) + " of " + size + " bytes");
            }
            if (kept.length() < 4096) {
                kept.append(new String(buf, 0, Math.min(n, 4096 - kept.length()), StandardCharsets.ISO_8859_1));
            }
            left -= n;
        }
        return size;
    }

    private String head() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            int n = sb.length();
            if (n >= 4 && sb.charAt(n - 1) == '\n' && sb.charAt(n - 2) == '\r' && sb.charAt(n - 3) == '\n' && sb.charAt(n - 4) == '\r') {
                return sb.substring(0, n - 2);
            }
        }
        throw new IOException("connection closed before a response" + (sb.length() > 0 ? " (mid-head)" : ""));
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return sb.toString().replaceAll("\r$", "");
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed mid-line");
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing
            }
            socket = null;
        }
    }
}
