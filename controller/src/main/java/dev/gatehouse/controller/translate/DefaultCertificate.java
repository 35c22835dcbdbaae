package dev.gatehouse.controller.translate;

/**
 * What became of the {@code --default-certificate-secret}: served as the fallback certificate, or
 * not and why. There is no object to write a status on, so the controller and {@code gatehouse
 * local} log it (once per change), naming the flag and the fix.
 *
 * @param secret  the Secret, {@code namespace/name}
 * @param served  whether the snapshot holds it as the fallback certificate
 * @param message when not served: why and what to fix; when served: a warning (it expires within
 *                14 days) or null
 */
public record DefaultCertificate(String secret, boolean served, String message) {
}
