package dev.gatehouse.controller.files;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A fingerprint of a directory's manifest files: their names, and a digest over each name and
 * the SHA-256 of its bytes. Taken by a {@link DirectoryScanner}.
 *
 * @param digests each file's SHA-256 as the scan took it (a file that vanished during the scan has
 *                none): a reload reads again only the files whose digest it has not parsed. Not part
 *                of equality, which {@code digest} already decides.
 */
record DirectoryState(List<String> names, byte[] digest, Map<String, byte[]> digests) {

    DirectoryState(List<String> names, byte[] digest) {
        this(names, digest, Map.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DirectoryState s && names.equals(s.names) && Arrays.equals(digest, s.digest);
    }

    @Override
    public int hashCode() {
        return names.hashCode() * 31 + Arrays.hashCode(digest);
    }
}
