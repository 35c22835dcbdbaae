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
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    /**
     * The key Secret made for each Consumer object at the last call, by identity: a Consumer of a
     * file not changed since is the same Java object (ParsedFiles), and gets the same Secret object
     * back, with no key file read; the translator then reuses what it made of both.
     */
    private Map<Consumer, Secret> made = new IdentityHashMap<>();

    /** @param keep make and keep missing keys (serving); false for {@code --check} */
    LocalKeys(Path store, boolean keep) {
        this.store = store;
        this.keep = keep;
    }

    /**
     * The key Secret of every Consumer of {@code objects} with {@code keyAuth.generate: true} whose
     * Secret is not among {@code objects}. Linear in the objects: the declared Secrets are looked up
     * in a set made once per call (at 10 000 generating Consumers, a scan of every object per
     * Consumer was 10^8 comparisons per reload). One caller at a time (LocalSource reloads under its lock).
     */
    List<Secret> secretsFor(List<HasMetadata> objects) {
        List<Secret> out = new ArrayList<>();
        Set<String> declared = null;
        Map<Consumer, Secret> next = new IdentityHashMap<>();
        for (HasMetadata o : objects) {
            if (o instanceof Consumer c && c.getSpec() != null && c.getSpec().keyAuth != null
                    && Boolean.TRUE.equals(c.getSpec().keyAuth.generate)) {
                if (declared == null) {
                    declared = new HashSet<>();
                    for (HasMetadata x : objects) {
                        if (x instanceof Secret) {
                            declared.add(Sources.key(x));
                        }
                    }
                }
                String ns = Sources.namespace(c);
                String name = c.getMetadata().getName();
                if (!declared.contains(ns + "/" + ApiKeys.secretName(name))) {
                    Secret secret = made.get(c);
                    if (secret == null) {
                        secret = ApiKeys.secretFor(ns, name, keyOf(ns, name));
                    }
                    next.put(c, secret);
                    out.add(secret);
                }
            }
        }
        made = next;
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
