package dev.gatehouse.controller.k8s;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * What one replica's synced proxies acknowledged and refused, in content hashes (never versions:
 * each replica numbers its own snapshots, while equal informer state translates to equal
 * content). Carried as JSON in an annotation of the replica's own Lease ({@link ReplicaLease})
 * and read by the leader ({@link ReplicaReports}).
 *
 * <p>Bounded so the annotation stays small whatever the fleet: at most {@value #MAX_HASHES}
 * acknowledged hashes (proxies on further ones are counted under {@link #UNKNOWN}, which never
 * counts as acknowledging anything), at most {@value #MAX_REFUSALS} refused objects, each message
 * cut at {@value #MAX_MESSAGE_CHARS} characters. A refusal names the proxy, the field and the
 * proxy's message, as a local NACK does in status; proxies never put secret values in a NACK.
 *
 * @param acked   content hash → synced proxies whose newest acknowledgement it is
 * @param refused content hash → source object uid → why a proxy refused it
 * @param leftOut refusals left out over {@value #MAX_REFUSALS}
 */
public record ReplicaReport(Map<String, Integer> acked, Map<String, Map<String, String>> refused, int leftOut) {
    /** The key of proxies that applied a snapshot whose content hash is not reported (over the bound, or unknown). */
    public static final String UNKNOWN = "-";
    static final int MAX_HASHES = 32;
    static final int MAX_REFUSALS = 64;
    static final int MAX_MESSAGE_CHARS = 256;
    public static final ReplicaReport EMPTY = new ReplicaReport(Map.of(), Map.of(), 0);
    private static final ObjectMapper JSON = new ObjectMapper();

    public ReplicaReport {
        acked = Collections.unmodifiableMap(new TreeMap<>(requireNonNull(acked, "acked")));
        TreeMap<String, Map<String, String>> r = new TreeMap<>();
        requireNonNull(refused, "refused").forEach((h, m) -> r.put(h, Collections.unmodifiableMap(new TreeMap<>(m))));
        refused = Collections.unmodifiableMap(r);
    }

    /** The synced proxies reported, whatever they acknowledged. */
    public int synced() {
        int n = 0;
        for (int c : acked.values()) {
            n += c;
        }
        return n;
    }

    /**
     * What this report left out or cut to stay within its bounds: proxies counted under
     * {@link #UNKNOWN} beside {@value #MAX_HASHES} hashes, refusals over {@value #MAX_REFUSALS},
     * messages cut at {@value #MAX_MESSAGE_CHARS} characters.
     */
    public record Overflow(int proxiesUnreported, int refusalsLeftOut, int messagesCut) {
        public static final Overflow NONE = new Overflow(0, 0, 0);

        public boolean any() {
            return !equals(NONE);
        }
    }

    /** Whether, and how, this report went over its bounds ({@link Overflow#NONE}: it did not). */
    public Overflow overflow() {
        int unreported = acked.size() > MAX_HASHES ? acked.getOrDefault(UNKNOWN, 0) : 0;
        int cut = 0;
        for (Map<String, String> byUid : refused.values()) {
            for (String m : byUid.values()) {
                if (m.length() == MAX_MESSAGE_CHARS + 1 && m.endsWith("…")) {
                    cut++;
                }
            }
        }
        return unreported == 0 && leftOut == 0 && cut == 0 ? Overflow.NONE : new Overflow(unreported, leftOut, cut);
    }

    /** The annotation's value. */
    String toJson() {
        try {
            return JSON.writeValueAsString(new Wire(acked, refused, leftOut));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("replica report: " + e.getMessage(), e);
        }
    }

    /** Parses an annotation's value; throws IllegalArgumentException naming what is wrong. */
    static ReplicaReport parse(String json) {
        requireNonNull(json, "json");
        try {
            Wire w = JSON.readValue(json, new TypeReference<Wire>() { });
            ReplicaReport r = new ReplicaReport(w.acked == null ? Map.of() : w.acked, w.refused == null ? Map.of() : w.refused,
                    w.leftOut);
            for (int c : r.acked.values()) {
                if (c < 0) {
                    throw new IllegalArgumentException("acked: a negative count " + c + " (expected: >= 0)");
                }
            }
            return r;
        } catch (JsonProcessingException | NullPointerException e) {
            throw new IllegalArgumentException("not a replica report (expected: {\"acked\":{hash:count},\"refused\":"
                    + "{hash:{uid:message}}}): " + e.getMessage(), e);
        }
    }

    /** The JSON form; field names are the annotation's format. */
    static final class Wire {
        public Map<String, Integer> acked;
        public Map<String, Map<String, String>> refused;
        public int leftOut;

        Wire() {
        }

        Wire(Map<String, Integer> acked, Map<String, Map<String, String>> refused, int leftOut) {
            this.acked = acked;
            this.refused = refused;
            this.leftOut = leftOut;
        }
    }

    /** Builds a report within the bounds; one replica's proxies, one at a time. */
    public static final class Builder {
        private final Map<String, Integer> acked = new TreeMap<>();
        private final Map<String, Map<String, String>> refused = new TreeMap<>();
        private int refusals;
        private int leftOut;

        /** A synced proxy whose newest acknowledgement is {@code hash}; null: a hash not known. */
        public Builder acked(String hash) {
            String key = hash == null || (!acked.containsKey(hash) && acked.size() >= MAX_HASHES) ? UNKNOWN : hash;
            acked.merge(key, 1, Integer::sum);
            return this;
        }

        /** A proxy refused object {@code uid} in the snapshot of {@code hash}, saying {@code message}. */
        public Builder refused(String hash, String uid, String message) {
            requireNonNull(hash, "hash");
            requireNonNull(uid, "uid");
            Map<String, String> byUid = refused.get(hash);
            if (byUid == null || !byUid.containsKey(uid)) {
                if (refusals >= MAX_REFUSALS) {
                    leftOut++;
                    return this;
                }
                refusals++;
            }
            refused.computeIfAbsent(hash, h -> new TreeMap<>()).merge(uid, cut(message), (a, b) -> cut(a + "; " + b));
            return this;
        }

        private static String cut(String message) {
            return message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message;
        }

        public ReplicaReport build() {
            return acked.isEmpty() && refused.isEmpty() && leftOut == 0 ? EMPTY : new ReplicaReport(acked, refused, leftOut);
        }
    }
}
