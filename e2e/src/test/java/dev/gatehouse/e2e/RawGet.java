package dev.gatehouse.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 GET over a fresh loopback socket with any Host header (the JDK client refuses to
 * set Host), {@code Connection: close}, the whole answer read.
 */
final class RawGet {
    record Answer(int status, String headers, String body) {
        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private RawGet() {
    }

    static Answer get(int port, String host, String path, String... headers) {
        return request(port, "GET", host, path, headers);
    }

    /** As {@link #get}, with another method (no body). */
    static Answer request(int port, String method, String host, String path, String... headers) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            return over(s, method, host, path, headers);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The GET over a connected socket (a plain one, or a TLS one whose handshake the first write runs). */
    static Answer over(Socket s, String host, String path, String... headers) throws IOException {
        return over(s, "GET", host, path, headers);
    }

    /** As {@link #over(Socket, String, String, String...)}, with another method (no body). */
    static Answer over(Socket s, String method, String host, String path, String... headers) throws IOException {
        s.setSoTimeout(10_000);
        StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        OutputStream out = s.getOutputStream();
        out.write(req.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        String head = end < 0 ? text : text.substring(0, end);
        String body = end < 0 ? "" : text.substring(end + 4);
        int status = Integer.parseInt(head.substring(9, 12));
        if (method.equals("HEAD")) {
            body = "";
        } else if (head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return new Answer(status, head, body);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < chunked.length()) {
            int nl = chunked.indexOf("\r\n", i);
            int size = Integer.parseInt(chunked.substring(i, nl).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(chunked, nl + 2, nl + 2 + size);
            i = nl + 2 + size + 2;
        }
        return out.toString();
    }
}
