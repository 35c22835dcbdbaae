package dev.gatehouse.proxy.channel;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;

/** Why a connection to the controller failed, in a few words for one log line; never the token. */
final class FailureReason {
    static final String UNTRUSTED = "untrusted-certificate";
    static final String NAME_MISMATCH = "certificate-name-mismatch";

    private FailureReason() {
    }

    /** True for a reason that says the controller's certificate was refused. */
    static boolean certificateRefused(String reason) {
        return reason.startsWith(UNTRUSTED + ": ") || reason.startsWith(NAME_MISMATCH + ": ");
    }

    /** What the operator should do about a refused certificate. */
    static String fix(String reason) {
        return reason.startsWith(UNTRUSTED)
                ? "the controller's certificate is not signed by the CA in ca-file: give the proxy the ca.crt of the channel's TLS Secret"
                : "the controller's certificate does not name the host of --controller: dial the channel Service's DNS name";
    }

    /**
     * A short, token-free reason for a failure, e.g. {@code connection-refused}; a certificate the
     * pinned CA did not sign is {@value #UNTRUSTED}, one for another host {@value #NAME_MISMATCH},
     * each followed by the JDK's words.
     */
    static String describe(Throwable cause) {
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect-timeout";
        }
        if (cause instanceof ConnectException) {
            return "connection-refused";
        }
        if (cause instanceof ClosedChannelException) {
            return "connection-closed";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof io.netty.handler.ssl.NotSslRecordException) {
            // its message hex-dumps the bytes received
            return "not-tls: the controller answered in plain text";
        }
        String detail = detail(root);
        if (root instanceof java.security.cert.CertPathValidatorException
                || root instanceof java.security.cert.CertPathBuilderException
                || detail.contains("PKIX path") || detail.contains("unable to find valid certification path")) {
            return UNTRUSTED + ": " + detail;
        }
        if (root instanceof java.security.cert.CertificateException && (detail.contains("No subject alternative")
                || detail.contains("No name matching"))) {
            return NAME_MISMATCH + ": " + detail;
        }
        return detail;
    }

    private static String detail(Throwable root) {
        String message = root.getMessage();
        if (message == null) {
            return root.getClass().getSimpleName();
        }
        message = message.replaceAll("\\s+", " ");
        return root.getClass().getSimpleName() + ": " + (message.length() > 200 ? message.substring(0, 200) + "…" : message);
    }
}
