package dev.gatehouse.controller.files;

import java.util.Arrays;
import java.util.List;

/**
 * A fingerprint of a directory's manifest files: their names, and a digest over each name and
 * the SHA-256 of its bytes. Taken by a {@link DirectoryScanner}.
 */
record DirectoryState(List<String> names, byte[] digest) {

    @Override
    public boolean equals(Object o) {
        return o instanceof DirectoryState s && names.equals(s.names) && Arrays.equals(digest, s.digest);
    }

    @Override
    public int hashCode() {
        return names.hashCode() * 31 + Arrays.hashCode(digest);
    }
}
