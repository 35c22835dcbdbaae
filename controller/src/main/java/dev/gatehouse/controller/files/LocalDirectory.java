package dev.gatehouse.controller.files;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The YAML files of one directory, as {@code kubectl apply -f DIR} reads them: every
 * {@code *.yaml}, {@code *.yml} and {@code *.json} file directly in it (not recursive; hidden
 * files skipped), sorted by name.
 *
 * @param dir     the directory
 * @param files   the files read
 * @param objects every object read
 * @param fileOf  {@code Kind/namespace/name} → the file it came from
 * @param errors  documents that could not be read, and objects defined twice
 * @param skipped objects of kinds Gatehouse does not read
 *
 * <p>{@link #toString()} names the objects and never prints them: a Secret's data is an API key.
 */
public record LocalDirectory(Path dir, List<Path> files, List<HasMetadata> objects, Map<String, String> fileOf,
                             List<ManifestReader.FileError> errors, List<String> skipped) {

    public static LocalDirectory read(Path dir) throws IOException {
        return read(dir, new ParsedFiles());
    }

    /** As {@link #read(Path)}, parsing only the files whose bytes {@code parsed} has not seen (see {@link ParsedFiles}). */
    static LocalDirectory read(Path dir, ParsedFiles parsed) throws IOException {
        return read(dir, parsed, Map.of());
    }

    /**
     * As {@link #read(Path, ParsedFiles)}, not even reading a file whose SHA-256 in {@code scanned}
     * (the poll's {@link DirectoryState#digests()}) is that of the bytes {@code parsed} holds: after an
     * edit of one file among many, that file alone is read and parsed. A file changed after the scan
     * is read at the next poll, which sees it changed.
     */
    static LocalDirectory read(Path dir, ParsedFiles parsed, Map<String, byte[]> scanned) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory (expected: a directory of YAML files)");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).filter(LocalDirectory::isManifest).sorted().toList();
        }
        List<HasMetadata> objects = new ArrayList<>();
        Map<String, String> fileOf = new LinkedHashMap<>();
        List<ManifestReader.FileError> errors = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Path f : files) {
            String name = dir.relativize(f).toString();
            names.add(name);
            ParsedFiles.Parsed p = parsed.known(name, scanned.get(name));
            if (p == null) {
                try {
                    p = parsed.read(name, Files.readAllBytes(f));
                } catch (IOException e) {
                    errors.add(new ManifestReader.FileError(name, "(file)", "(file)", "cannot read: " + e.getMessage()));
                    continue;
                }
            }
            ManifestReader.Result r = p.result();
            errors.addAll(r.errors());
            skipped.addAll(r.skipped());
            List<HasMetadata> read = r.objects();
            for (int i = 0; i < read.size(); i++) {
                String id = p.ids().get(i);
                String first = fileOf.putIfAbsent(id, name);
                if (first != null) {
                    errors.add(new ManifestReader.FileError(name, id, "metadata.name",
                            "already defined in " + first + " (expected: each object once; the first one is used)"));
                } else {
                    objects.add(read.get(i));
                }
            }
        }
        parsed.retain(names);
        return new LocalDirectory(dir, files, objects, fileOf, errors, skipped);
    }

    /**
     * The objects as local mode serves them, for {@code --check}: with the key Secret of every
     * Consumer that has {@code keyAuth.generate: true}. Writes nothing (see {@link LocalKeys}).
     */
    public List<HasMetadata> objectsAsServed() {
        List<HasMetadata> all = new ArrayList<>(objects);
        all.addAll(new LocalKeys(dir.resolve(LocalSource.KEY_STORE), false).secretsFor(objects));
        return all;
    }

    static boolean isManifest(Path p) {
        String n = p.getFileName().toString();
        return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"));
    }

    @Override
    public String toString() {
        return "LocalDirectory[dir=" + dir + ", files=" + files + ", objects=" + ManifestReader.names(objects) + ", errors="
                + errors + ", skipped=" + skipped + "]";
    }
}
