package dev.gatehouse.app;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** Pod identity and token files, the same for the controller and the proxy. */
final class Identity {
    private Identity() {
    }

    /** {@code POD_NAME} (downward API), else the host name. */
    static String podName() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "gatehouse-" + ProcessHandle.current().pid();
        }
    }

    /** The token in {@code file}, trimmed; an error that names the file but never its content. */
    static String token(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("--token-file " + file + ": not readable (expected: a file holding the channel token, "
                    + "e.g. the mounted Secret gatehouse-channel-token)");
        }
        String token = Files.readString(file).strip();
        if (token.isEmpty()) {
            throw new IOException("--token-file " + file + ": empty (expected: the channel token)");
        }
        return token;
    }
}
