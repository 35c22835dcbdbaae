package dev.gatehouse.controller.files;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.controller.keys.ApiKeys;
import dev.gatehouse.controller.translate.Sources;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Local mode's {@code keyAuth.generate: true}: a random key made once per Consumer, printed once
 * on standard output (never logged), and kept in {@code <dir>/.gatehouse/<namespace>.<name>-key-auth.key}
 * (mode 600) so a restart keeps it. The key joins the cluster state as the labelled Secret
 * {@code <name>-key-auth}, exactly as the controller would create it.
 *
 * <p>{@code --check} writes nothing: it reads a kept key when there is one and otherwise makes a
 * throwaway one (neither kept nor printed), so a Consumer with {@code generate: true} checks as it
 * will serve.
 */
final class LocalKeys {
    private final Path store;
    private final boolean keep;

    /** @param keep make and keep missing keys (serving); false for {@code --check} */
    LocalKeys(Path store, boolean keep) {
        this.store = store;
        this.keep = keep;
    }

    List<Secret> secretsFor(List<HasMetadata> objects) {
        List<Secret> out = new ArrayList<>();
        for (HasMetadata o : objects) {
            if (o instanceof Consumer c && c.getSpec() != null && c.getSpec().keyAuth != null
                    && Boolean.TRUE.equals(c.getSpec().keyAuth.generate)) {
                String ns = Sources.namespace(c);
                String name = c.getMetadata().getName();
                boolean declared = objects.stream().anyMatch(x -> x instanceof Secret
                        && Sources.key(x).equals(ns + "/" + ApiKeys.secretName(name)));
                if (!declared) {
                    out.add(ApiKeys.secretFor(ns, name, keyOf(ns, name)));
                }
            }
        }
        return out;
    }

    private String keyOf(String namespace, String consumer) {
        Path file = store.resolve(namespace + "." + ApiKeys.secretName(consumer) + ".key");
        try {
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            if (!keep) {
                return ApiKeys.generate();
            }
            Files.createDirectories(store);
            String key = ApiKeys.generate();
            Path tmp = Files.createTempFile(store, ".key", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: the directory's permissions apply
            }
            Files.writeString(tmp, key + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            System.out.println("Generated API key for Consumer " + namespace + "/" + consumer + ": " + key
                    + "  (printed once; kept in " + file + ")");
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the generated key of Consumer " + namespace + "/" + consumer
                    + " in " + store + ": " + e.getMessage(), e);
        }
    }
}
