package dev.gatehouse.proxy.observe;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the access log goes: nowhere, standard output, or appended to a file.
 *
 * @param file the file for {@link Kind#FILE}, else null
 */
public record AccessLogDestination(Kind kind, Path file) {
    public enum Kind { OFF, STDOUT, FILE }

    public static final AccessLogDestination OFF = new AccessLogDestination(Kind.OFF, null);
    public static final AccessLogDestination STDOUT = new AccessLogDestination(Kind.STDOUT, null);

    public AccessLogDestination {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.FILE) != (file != null)) {
            throw new IllegalArgumentException("file: " + file + " (expected: a path exactly when kind is FILE)");
        }
    }

    public static AccessLogDestination file(Path file) {
        return new AccessLogDestination(Kind.FILE, Objects.requireNonNull(file, "file"));
    }

    /** {@code off}, {@code stdout}, or a file path (as the {@code --access-log} option takes it). */
    public static AccessLogDestination parse(String value) {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("access log: \"" + value + "\" (expected: off, stdout or a file path)");
        }
        return switch (value) {
            case "off" -> OFF;
            case "stdout", "-" -> STDOUT;
            default -> file(Path.of(value));
        };
    }

    @Override
    public String toString() {
        return kind == Kind.FILE ? file.toString() : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
