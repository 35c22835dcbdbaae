package dev.gatehouse.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 client that keeps what {@link TestClient} drops: the body as bytes and the
 * trailers of a chunked response, and sends bodies of any size. Header names lower case; repeated
 * fields joined with {@code ,}.
 */
final class Http1Client implements AutoCloseable {
    record Reply(int status, Map<String, String> headers, byte[] body, Map<String, String> trailers, boolean chunked) {
        String header(String name) {
            return headers.get(name);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Http1Client(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void write(String s) throws IOException {
        write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    void write(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** One chunk of a chunked request body. */
    void chunk(byte[] b) throws IOException {
        out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    Reply read() throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("connection closed before a response");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        Map<String, String> headers = fields();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Map<String, String> trailers = new LinkedHashMap<>();
        boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        if (code == 204 || code == 304 || code < 200) {
            // no body
        } else if (chunked) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            trailers = fields();
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else {
            body.write(in.readAllBytes());
        }
        return new Reply(code, headers, body.toByteArray(), trailers, chunked);
    }

    private Map<String, String> fields() throws IOException {
        Map<String, String> h = new LinkedHashMap<>();
        for (String l = line(); l != null && !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            h.merge(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim(), (a, b) -> a + "," + b);
        }
        return h;
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
