package dev.gatehouse.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** One request as exact bytes on a fresh connection; the answer read until the server closes. */
final class RawHttp {
    private RawHttp() {
    }

    /** @return the response, head and body, as text */
    static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** The status code of a response {@link #exchange} returned; -1 when there is none. */
    static int status(String response) {
        return response.startsWith("HTTP/1.1 ") && response.length() >= 12 ? Integer.parseInt(response.substring(9, 12)) : -1;
    }
}
