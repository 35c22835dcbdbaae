package dev.gatehouse.controller.files;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What each manifest file of a directory parsed to, kept by file name with the SHA-256 of the
 * bytes it was parsed from: a directory read again parses only the files whose bytes changed,
 * so an edit of one file among many costs one file's YAML parsing, not the whole directory's
 * (at 10 000 routes, parsing is most of a reload). The objects are shared with the reads before;
 * nothing downstream changes them. One reader at a time (LocalSource reloads under its lock).
 */
final class ParsedFiles {
    private record Parsed(byte[] digest, ManifestReader.Result result) {
    }

    private final Map<String, Parsed> byName = new HashMap<>();
    private long parses;

    /**
     * The objects of file {@code name} with content {@code bytes}, parsed now or when these bytes were seen last.
     *
     * @throws CharacterCodingException when the bytes are not UTF-8
     */
    ManifestReader.Result read(String name, byte[] bytes) throws CharacterCodingException {
        byte[] digest = sha256(bytes);
        Parsed known = byName.get(name);
        if (known != null && Arrays.equals(known.digest, digest)) {
            return known.result;
        }
        String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        ManifestReader.Result result = ManifestReader.read(name, text);
        parses++;
        byName.put(name, new Parsed(digest, result));
        return result;
    }

    /** Forgets the files not in {@code names} (removed from the directory). */
    void retain(Set<String> names) {
        byName.keySet().retainAll(names);
    }

    /** Files parsed so far (a file read again unchanged is not parsed again); for tests and logs. */
    long parses() {
        return parses;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256: not available (expected: every Java runtime has it)", e);
        }
    }
}
