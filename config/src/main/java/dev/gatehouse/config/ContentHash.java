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
import java.util.function.Function;

/**
 * The content hash of a snapshot, the one definition both ends of the channel use (hello, push,
 * delta, ACK, the proxy's store and status). Per kind (services, routes, upstreams, consumers,
 * certificates), each object adds its <em>contribution</em>: SHA-512 over a fixed tag, the kind,
 * the id of the object before it in the list (none for the first) and the SHA-256 of its canonical
 * JSON. The contributions of a kind are summed modulo 2<sup>512</sup>; the hash is SHA-256 over a
 * fixed tag and, per kind in a fixed order, the kind's name, its number of objects and that sum.
 * The version is not in it: equal content, equal hash.
 *
 * <p>Why a sum: a change then costs what it touched. The hash of a snapshot made from the last
 * one ({@link #of(Snapshot, Digests)}) takes the sum of each kind whose list is the same instance
 * as is; for a changed kind it subtracts the contributions of the objects gone or moved and adds
 * those of the objects new (or whose predecessor changed), serialising only objects that are not
 * the very same instance as one of the last snapshot (objects are immutable records). What is left
 * in proportion to the list is a walk comparing references, as the delta's own replay does.
 *
 * <p>Why the predecessor's id: the list order is content (the router's last tie-break is route
 * order). With ids unique within a kind (every valid snapshot), the multiset of (predecessor id,
 * object) pairs determines the list: the first object is the one without a predecessor, the next
 * the one whose predecessor is it, and so on. An edit in place changes one contribution; an object
 * added, removed or moved also changes its successor's.
 *
 * <p>Strength, and why 512 bits: docs/decisions.md (incremental content hash). In short: a
 * collision needs a SHA-256 or SHA-512 collision or two sets of objects with equal sums; by the
 * generalized birthday attack (Wagner, 2002) the latter costs about 2<sup>65</sup> work for
 * someone who can write 256 crafted objects into the cluster, against 2<sup>36</sup> with 256-bit
 * sums; the hash detects divergence (a missed or misapplied delta, a stale store), it
 * authenticates nothing (the channel is TLS with a token).
 */
public final class ContentHash {
    /** The domain tag; a new definition gets a new tag. */
    private static final byte[] TAG = "gatehouse-content-hash/3\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OBJECT_TAG = "gatehouse-content-hash/3 object\n".getBytes(StandardCharsets.US_ASCII);
    private static final String[] KINDS = {"services", "routes", "upstreams", "consumers", "certificates"};
    @SuppressWarnings("unchecked")
    private static final Function<Object, String>[] IDS = new Function[]{
            o -> ((Service) o).id(), o -> ((Route) o).id(), o -> ((Upstream) o).id(), o -> ((Consumer) o).id(),
            o -> ((Certificate) o).id()};
    /** 64-bit words of a sum, least significant first. */
    static final int WORDS = 8;
    /** How far ahead in the last list an object is looked for before the last list is indexed. */
    private static final int LOOKAHEAD = 8;

    /** The last digests made by {@link #of(Snapshot)}: a proxy hashes a snapshot on receipt and again when it compiles. */
    private static volatile Digests last;

    private ContentHash() {
    }

    /** One kind's list, the SHA-256 of each object's JSON by position, and the sum of the contributions. */
    private record Kind(List<?> list, byte[][] digests, long[] sum) {
    }

    /**
     * The per-object digests of one snapshot and its content hash; immutable.
     */
    public static final class Digests {
        private final Snapshot snapshot;
        private final Kind[] kinds;
        private final String hash;
        private final int computed;

        private Digests(Snapshot snapshot, Kind[] kinds, String hash, int computed) {
            this.snapshot = snapshot;
            this.kinds = kinds;
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
     * The digests of {@code snapshot}, from those of {@code previous} (null for none): a kind whose
     * list is the same instance is taken over whole; in a changed kind, objects that are the same
     * instance as one of {@code previous} keep their digest, and the sum moves by the contributions
     * that differ. Hashing costs what changed; the rest is a comparison of references over the
     * changed kinds' lists.
     */
    public static Digests of(Snapshot snapshot, Digests previous) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (previous != null && previous.snapshot == snapshot) {
            return previous;
        }
        List<?>[] lists = {snapshot.services(), snapshot.routes(), snapshot.upstreams(), snapshot.consumers(),
                snapshot.certificates()};
        Hasher h = new Hasher();
        Kind[] kinds = new Kind[KINDS.length];
        boolean same = previous != null;
        for (int k = 0; k < KINDS.length; k++) {
            Kind before = previous == null ? null : previous.kinds[k];
            kinds[k] = before != null && before.list == lists[k] ? before : h.kind(k, lists[k], before);
            same &= kinds[k] == before;
        }
        if (same) {
            return new Digests(snapshot, kinds, previous.hash, 0); // another version of the same content
        }
        MessageDigest outer = sha256();
        outer.update(TAG);
        for (int k = 0; k < KINDS.length; k++) {
            outer.update(KINDS[k].getBytes(StandardCharsets.US_ASCII));
            ByteBuffer b = ByteBuffer.allocate(5 + 8 * WORDS).put((byte) 0).putInt(kinds[k].list.size());
            for (int w = WORDS - 1; w >= 0; w--) {
                b.putLong(kinds[k].sum[w]);
            }
            outer.update(b.array());
        }
        return new Digests(snapshot, kinds, HexFormat.of().formatHex(outer.digest()), h.computed);
    }

    /** The work of one {@link #of(Snapshot, Digests)}: its digests, and how many objects it serialised. */
    private static final class Hasher {
        private final MessageDigest inner = sha256();
        private final MessageDigest contribution = sha512();
        private int computed;

        /** Kind {@code k} with {@code list}, from {@code before} (null: from scratch). */
        Kind kind(int k, List<?> list, Kind before) {
            List<?> base = before == null ? List.of() : before.list;
            byte[][] baseDigests = before == null ? new byte[0][] : before.digests;
            long[] sum = before == null ? new long[WORDS] : before.sum.clone();
            Function<Object, String> id = IDS[k];
            byte[][] out = new byte[list.size()][];
            Map<Object, Integer> index = null;
            int misses = 0;
            int j = 0; // base positions below j are accounted for: reused once, or subtracted
            for (int i = 0; i < list.size(); i++) {
                Object o = list.get(i);
                int m = -1;
                for (int q = j; q < Math.min(base.size(), j + LOOKAHEAD); q++) {
                    if (base.get(q) == o) {
                        m = q;
                        break;
                    }
                }
                if (m < 0 && index == null && misses >= LOOKAHEAD && !base.isEmpty()) {
                    index = identityIndex(base); // many objects in a row not found near: a reorder or a bulk change
                }
                Integer at = m >= 0 || index == null ? null : index.get(o);
                if (m < 0 && at != null && at >= j) {
                    m = at;
                }
                Object previousObject = i == 0 ? null : list.get(i - 1);
                if (m >= 0) {
                    misses = 0;
                    for (int q = j; q < m; q++) {
                        add(sum, contribution(k, base, q, baseDigests[q], id), -1); // gone, moved, or replaced
                    }
                    j = m + 1;
                    out[i] = baseDigests[m];
                    Object basePrevious = m == 0 ? null : base.get(m - 1);
                    if (previousObject != basePrevious) { // else the same predecessor, the usual case: nothing to do
                        String prev = previousObject == null ? null : id.apply(previousObject);
                        String basePrev = basePrevious == null ? null : id.apply(basePrevious);
                        if (!Objects.equals(prev, basePrev)) { // its predecessor changed
                            add(sum, contribution(k, basePrev, out[i]), -1);
                            add(sum, contribution(k, prev, out[i]), 1);
                        }
                    }
                    continue;
                }
                String prev = previousObject == null ? null : id.apply(previousObject);
                misses++;
                if (at != null) {
                    out[i] = baseDigests[at]; // the same instance, moved back: its digest, a new contribution
                } else {
                    out[i] = inner.digest(SnapshotCodec.toJson(o));
                    computed++;
                }
                add(sum, contribution(k, prev, out[i]), 1);
            }
            for (int q = j; q < base.size(); q++) {
                add(sum, contribution(k, base, q, baseDigests[q], id), -1);
            }
            return new Kind(list, out, sum);
        }

        private long[] contribution(int k, List<?> list, int at, byte[] digest, Function<Object, String> id) {
            return contribution(k, at == 0 ? null : id.apply(list.get(at - 1)), digest);
        }

        /** SHA-512 of the tag, the kind, the predecessor's id (length-prefixed; absent for the first) and the object's digest. */
        private long[] contribution(int k, String prev, byte[] digest) {
            MessageDigest c = contribution;
            c.update(OBJECT_TAG);
            c.update((byte) k);
            if (prev == null) {
                c.update((byte) 0);
            } else {
                byte[] p = prev.getBytes(StandardCharsets.UTF_8);
                c.update(ByteBuffer.allocate(5).put((byte) 1).putInt(p.length).array());
                c.update(p);
            }
            c.update(digest);
            ByteBuffer b = ByteBuffer.wrap(c.digest());
            long[] words = new long[WORDS];
            for (int w = WORDS - 1; w >= 0; w--) {
                words[w] = b.getLong();
            }
            return words;
        }
    }

    /** {@code sum += sign * value} modulo 2<sup>512</sup>, both as words least significant first. */
    static void add(long[] sum, long[] value, int sign) {
        long carry = 0;
        for (int w = 0; w < WORDS; w++) {
            long a = sum[w];
            if (sign > 0) {
                long r = a + value[w] + carry;
                carry = (Long.compareUnsigned(r, a) < 0 || (carry == 1 && r == a)) ? 1 : 0;
                sum[w] = r;
            } else {
                long r = a - value[w] - carry;
                carry = (Long.compareUnsigned(a, value[w]) < 0 || (carry == 1 && a == value[w])) ? 1 : 0;
                sum[w] = r;
            }
        }
    }

    /**
     * The hash of the first definition: SHA-256 of the whole snapshot's canonical JSON without its
     * version. Only for peers from before per-object hashing (a proxy whose hello does not tell it
     * takes object deltas, a controller that sends such hashes); O(size of the snapshot).
     */
    public static String legacy(Snapshot snapshot) {
        return HexFormat.of().formatHex(sha256().digest(SnapshotCodec.toJson(snapshot.withVersion(0))));
    }

    private static Map<Object, Integer> identityIndex(List<?> list) {
        Map<Object, Integer> index = new IdentityHashMap<>(list.size() * 2);
        for (int i = 0; i < list.size(); i++) {
            index.put(list.get(i), i);
        }
        return index;
    }

    private static MessageDigest sha256() {
        return digest("SHA-256");
    }

    private static MessageDigest sha512() {
        return digest("SHA-512");
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by every Java platform", e);
        }
    }
}
