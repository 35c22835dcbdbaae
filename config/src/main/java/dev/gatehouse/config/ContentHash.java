package dev.gatehouse.config;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The content hash of a snapshot, the one definition both ends of the channel use (hello, push,
 * delta, ACK, the proxy's store and status): SHA-256 over a fixed tag and, per kind in a fixed
 * order (services, routes, upstreams, consumers, certificates), the kind's name, its number of
 * objects and the SHA-256 of each object's canonical JSON, in list order. The version is not in
 * it: equal content, equal hash.
 *
 * <p>Why per object: a change then costs the digests of the objects it touched plus one pass over
 * 32 bytes per object, not the canonical JSON of the whole snapshot (11 MB at 10 000 routes).
 * {@link Digests} keeps the per-object digests of one snapshot; {@link #of(Snapshot, Digests)}
 * takes over the digest of every object that is the very same instance in the previous
 * snapshot (objects are immutable records), so only new or replaced objects are serialised.
 *
 * <p>Strength: the hashed input is an injective encoding of the ordered, kind-separated list of
 * object digests (fixed tag, kind names, counts, fixed-length digests), so two snapshots with the
 * same hash and different content mean a SHA-256 collision, either of two objects' JSON or of the
 * outer input; the same as the whole-document hash it replaces. See docs/decisions.md.
 */
public final class ContentHash {
    /** The domain tag; a new definition gets a new tag. */
    private static final byte[] TAG = "gatehouse-content-hash/2\n".getBytes(StandardCharsets.US_ASCII);
    private static final String[] KINDS = {"services", "routes", "upstreams", "consumers", "certificates"};

    /** The last digests made by {@link #of(Snapshot)}: a proxy hashes a snapshot on receipt and again when it compiles. */
    private static volatile Digests last;

    private ContentHash() {
    }

    /**
     * The per-object digests of one snapshot and its content hash; immutable.
     */
    public static final class Digests {
        private final Snapshot snapshot;
        private final List<?>[] lists;
        private final byte[][][] digests;
        private final String hash;
        private final int computed;

        private Digests(Snapshot snapshot, List<?>[] lists, byte[][][] digests, String hash, int computed) {
            this.snapshot = snapshot;
            this.lists = lists;
            this.digests = digests;
            this.hash = hash;
            this.computed = computed;
        }

        public Snapshot snapshot() {
            return snapshot;
        }

        /** The content hash: 64 lower-case hex digits. */
        public String hash() {
            return hash;
        }

        /** How many objects were serialised and digested to make this (the others were taken over). */
        public int computed() {
            return computed;
        }
    }

    /** The content hash of {@code snapshot}, reusing the digests of the last snapshot hashed through here. */
    public static String hash(Snapshot snapshot) {
        return of(snapshot).hash();
    }

    /** The digests of {@code snapshot}, reusing those of the last snapshot hashed through here. */
    public static Digests of(Snapshot snapshot) {
        Digests d = of(snapshot, last);
        last = d;
        return d;
    }

    /**
     * The digests of {@code snapshot}, taking over from {@code previous} (null for none) the digest
     * of each object that is the same instance there; the cost is the JSON and SHA-256 of the other
     * objects plus 32 bytes per object.
     */
    public static Digests of(Snapshot snapshot, Digests previous) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (previous != null && previous.snapshot == snapshot) {
            return previous;
        }
        List<?>[] lists = {snapshot.services(), snapshot.routes(), snapshot.upstreams(), snapshot.consumers(),
                snapshot.certificates()};
        if (previous != null && sameLists(previous.lists, lists)) {
            return new Digests(snapshot, lists, previous.digests, previous.hash, 0); // another version of the same content
        }
        MessageDigest outer = sha256();
        MessageDigest inner = sha256();
        outer.update(TAG);
        byte[][][] digests = new byte[KINDS.length][][];
        int computed = 0;
        for (int k = 0; k < KINDS.length; k++) {
            List<?> list = lists[k];
            byte[][] out = new byte[list.size()][];
            List<?> before = previous == null ? List.of() : previous.lists[k];
            byte[][] beforeDigests = previous == null ? new byte[0][] : previous.digests[k];
            Map<Object, Integer> index = null;
            int j = 0;
            for (int i = 0; i < list.size(); i++) {
                Object o = list.get(i);
                byte[] d = null;
                if (j < before.size() && before.get(j) == o) {
                    d = beforeDigests[j++];
                } else if (!before.isEmpty()) {
                    if (index == null) {
                        index = identityIndex(before);
                    }
                    Integer at = index.get(o);
                    if (at != null) {
                        d = beforeDigests[at];
                        j = at + 1;
                    }
                }
                if (d == null) {
                    d = inner.digest(SnapshotCodec.toJson(o));
                    computed++;
                }
                out[i] = d;
            }
            digests[k] = out;
            outer.update(KINDS[k].getBytes(StandardCharsets.US_ASCII));
            outer.update(ByteBuffer.allocate(5).put((byte) 0).putInt(out.length).array());
            for (byte[] d : out) {
                outer.update(d);
            }
        }
        return new Digests(snapshot, lists, digests, HexFormat.of().formatHex(outer.digest()), computed);
    }

    /**
     * The hash of the definition before this one: SHA-256 of the whole snapshot's canonical JSON
     * without its version. Only for peers from before per-object hashing (a proxy whose hello does
     * not tell it takes object deltas, a controller that sends such hashes); O(size of the snapshot).
     */
    public static String legacy(Snapshot snapshot) {
        return HexFormat.of().formatHex(sha256().digest(SnapshotCodec.toJson(snapshot.withVersion(0))));
    }

    private static boolean sameLists(List<?>[] a, List<?>[] b) {
        for (int k = 0; k < a.length; k++) {
            if (a[k] != b[k]) {
                return false;
            }
        }
        return true;
    }

    private static Map<Object, Integer> identityIndex(List<?> list) {
        Map<Object, Integer> index = new IdentityHashMap<>(list.size() * 2);
        for (int i = 0; i < list.size(); i++) {
            index.put(list.get(i), i);
        }
        return index;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
