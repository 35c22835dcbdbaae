package dev.gatehouse.controller.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** A cheap fingerprint of a directory's manifest files: names and contents. */
record DirectoryState(List<String> names, byte[] digest) {

    static DirectoryState of(Path dir) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).filter(LocalDirectory::isManifest).sorted().toList();
        }
        for (Path f : files) {
            md.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            try {
                md.update(Files.readAllBytes(f));
            } catch (IOException e) {
                md.update((byte) 1); // vanished between list and read: the next poll settles it
            }
            md.update((byte) 0);
        }
        return new DirectoryState(files.stream().map(p -> p.getFileName().toString()).toList(), md.digest());
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
