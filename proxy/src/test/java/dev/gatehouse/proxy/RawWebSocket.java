package dev.gatehouse.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client over a plain socket, byte by byte (RFC 6455 §5): the test writes the
 * handshake it wants, reads the response head, sends masked frames and reads the server's, or
 * stops reading altogether.
 */
final class RawWebSocket implements AutoCloseable {
    static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    static final int TEXT = 1;
    static final int BINARY = 2;
    static final int CLOSE = 8;

    record Frame(int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
        }
    }

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawWebSocket(int port) throws IOException {
        this(port, 0);
    }

    /** @param receiveBuffer SO_RCVBUF to set before connecting (no autotuning), 0 for the default */
    RawWebSocket(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Over a connected socket (a TLS one for {@code wss}). */
    RawWebSocket(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** The opening handshake of RFC 6455 §1.3 on {@code path}, with {@code extra} header lines (CRLF-terminated). */
    static String upgrade(String path, String extra) {
        return "GET " + path + " HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
    }

    void write(String s) throws IOException {
        write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    void write(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** Reads a response head, through its blank line. */
    String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed after " + head.size() + " bytes of head: " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    byte[] readBytes(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new EOFException("connection closed after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    /** -1 once the proxy closed the connection (after everything before it was read). */
    int read() throws IOException {
        return in.read();
    }

    /** A masked client frame with FIN set. */
    static byte[] frame(int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write(0x80 | opcode);
        int n = payload.length;
        if (n < 126) {
            f.write(0x80 | n);
        } else if (n < 65536) {
            f.write(0x80 | 126);
            f.write(n >>> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) ((long) n >>> shift));
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask, 0, 4);
        for (int i = 0; i < n; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    static byte[] text(String s) {
        return frame(TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] close(int code) {
        return frame(CLOSE, new byte[] {(byte) (code >>> 8), (byte) code});
    }

    /** Reads one server frame (unmasked, RFC 6455 §5.1). */
    Frame readFrame() throws IOException {
        byte[] h = readBytes(2);
        int opcode = h[0] & 0x0f;
        long n = h[1] & 0x7f;
        if ((h[1] & 0x80) != 0) {
            throw new IOException("a masked frame from the server");
        }
        if (n == 126) {
            byte[] l = readBytes(2);
            n = ((l[0] & 0xff) << 8) | (l[1] & 0xff);
        } else if (n == 127) {
            byte[] l = readBytes(8);
            n = 0;
            for (byte b : l) {
                n = (n << 8) | (b & 0xff);
            }
        }
        return new Frame(opcode, readBytes((int) n));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
