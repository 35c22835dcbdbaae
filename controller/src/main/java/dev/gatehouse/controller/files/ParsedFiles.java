package dev.gatehouse.controller.files;

import dev.gatehouse.controller.translate.Sources;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each manifest file of a directory parsed to, kept by file name with the SHA-256 of the
 * bytes it was parsed from: a directory read again parses only the files whose bytes changed,
 * so an edit of one file among many costs one file's YAML parsing, not the whole directory's
 * (at 10 000 routes, parsing is most of a reload). The objects are shared with the reads before;
 * nothing downstream changes them. A file whose digest the poll already took ({@link DirectoryScanner})
 * and that was parsed from those bytes is not even read again ({@link #known}). One reader at a time
 * (LocalSource reloads under its lock).
 */
final class ParsedFiles {
    /**
     * One file's parse.
     *
     * @param ids {@code Kind/namespace/name} of each of {@code result}'s objects, in order: made once
     *            per parse, not on every read of a directory of tens of thousands of objects
     */
    record Parsed(byte[] digest, ManifestReader.Result result, List<String> ids) {
    }

    private final Map<String, Parsed> byName = new HashMap<>();
    private long parses;
    private long reads;

    /**
     * The objects of file {@code name} with content {@code bytes}, parsed now or when these bytes were seen last.
     *
     * @throws CharacterCodingException when the bytes are not UTF-8
     */
    Parsed read(String name, byte[] bytes) throws CharacterCodingException {
        reads++;
        byte[] digest = sha256(bytes);
        Parsed known = known(name, digest);
        if (known != null) {
            return known;
        }
        String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        ManifestReader.Result result = ManifestReader.read(name, text);
        parses++;
        List<String> ids = new ArrayList<>(result.objects().size());
        for (var o : result.objects()) {
            ids.add(o.getKind() + "/" + Sources.key(o));
        }
        Parsed parsed = new Parsed(digest, result, List.copyOf(ids));
        byName.put(name, parsed);
        return parsed;
    }

    /**
     * What file {@code name} parsed to when its bytes had SHA-256 {@code digest} (as the poll's scan
     * took it), or null when it was not parsed from those bytes: the file need not be read.
     */
    Parsed known(String name, byte[] digest) {
        Parsed known = byName.get(name);
        return known != null && digest != null && Arrays.equals(known.digest, digest) ? known : null;
    }

    /** Forgets the files not in {@code names} (removed from the directory). */
    void retain(Set<String> names) {
        byName.keySet().retainAll(names);
    }

    /** Files read for a reload so far (a file whose scanned digest was parsed already is not); for tests. */
    long reads() {
        return reads;
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
