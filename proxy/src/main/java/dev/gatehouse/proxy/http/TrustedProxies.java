package dev.gatehouse.proxy.http;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers whose {@code X-Forwarded-*} headers the proxy believes: a list of IPv4 and IPv6 CIDR
 * blocks ({@code --trusted-proxies}, chart value {@code proxy.trustedProxies}), as nginx's
 * {@code set_real_ip_from}. Parsed once at start; {@link #contains(long, long)} allocates nothing
 * and costs one masked compare per block. {@link ForwardedFor} applies the rule.
 *
 * <p>Accepted: {@code 10.0.0.0/8}, {@code 2001:db8::/32}, a bare address (a block of one:
 * {@code /32} or {@code /128}), {@code 0.0.0.0/0} and {@code ::/0} (everything of that family;
 * trust everyone only behind a firewall that lets nobody else in). An IPv4 block also matches the
 * IPv4-mapped IPv6 form of its addresses. Refused, with the flag, the entry and the fix: a prefix
 * beyond the family's length, host bits set under the prefix ({@code 10.1.2.3/8}: write
 * {@code 10.0.0.0/8}), a zone id, a host name.
 */
public final class TrustedProxies {
    /** The flag every parse error names. */
    public static final String FLAG = "--trusted-proxies";
    /** Trusts nobody: every peer is the client (the default). */
    public static final TrustedProxies NONE = new TrustedProxies(new long[0], new long[0], new long[0], new long[0], List.of());

    private final long[] netHi;
    private final long[] netLo;
    private final long[] maskHi;
    private final long[] maskLo;
    private final List<String> blocks;

    private TrustedProxies(long[] netHi, long[] netLo, long[] maskHi, long[] maskLo, List<String> blocks) {
        this.netHi = netHi;
        this.netLo = netLo;
        this.maskHi = maskHi;
        this.maskLo = maskLo;
        this.blocks = blocks;
    }

    /**
     * Parses a comma-separated list of CIDR blocks (spaces around entries allowed; empty entries
     * and an empty list mean none).
     *
     * @throws IllegalArgumentException naming {@link #FLAG}, the entry and what was expected
     */
    public static TrustedProxies parse(String list) {
        if (list == null || list.isBlank()) {
            return NONE;
        }
        List<String> entries = new ArrayList<>();
        for (String raw : list.split(",", -1)) {
            String e = raw.strip();
            if (!e.isEmpty()) {
                entries.add(e);
            }
        }
        int n = entries.size();
        long[] netHi = new long[n];
        long[] netLo = new long[n];
        long[] maskHi = new long[n];
        long[] maskLo = new long[n];
        long[] bits = new long[2];
        for (int i = 0; i < n; i++) {
            String e = entries.get(i);
            int slash = e.indexOf('/');
            int end = slash < 0 ? e.length() : slash;
            if (!IpAddress.parse(e, 0, end, bits)) {
                throw invalid(e, "not an IP address or CIDR block (expected: e.g. 10.0.0.0/8, 192.168.1.7, 2001:db8::/32)");
            }
            boolean v4 = e.lastIndexOf(':', end - 1) < 0;
            int max = v4 ? 32 : 128;
            int prefix = max;
            if (slash >= 0) {
                String p = e.substring(slash + 1);
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw invalid(e, "prefix length '" + p + "' (expected: 0.." + max + " for an " + (v4 ? "IPv4" : "IPv6") + " block)");
                }
                prefix = Integer.parseInt(p);
                if (prefix > max) {
                    throw invalid(e, "prefix length " + prefix + " (expected: 0.." + max + " for an " + (v4 ? "IPv4" : "IPv6") + " block)");
                }
            }
            int prefix128 = v4 ? prefix + 96 : prefix;
            long mHi = prefix128 >= 64 ? -1L : prefix128 == 0 ? 0 : -1L << (64 - prefix128);
            long mLo = prefix128 <= 64 ? 0 : prefix128 == 128 ? -1L : -1L << (128 - prefix128);
            if ((bits[0] & ~mHi) != 0 || (bits[1] & ~mLo) != 0) {
                throw invalid(e, "host bits set under the /" + prefix + " prefix (expected: the block's first address, as in "
                        + "10.0.0.0/8 rather than 10.1.2.3/8)");
            }
            netHi[i] = bits[0];
            netLo[i] = bits[1];
            maskHi[i] = mHi;
            maskLo[i] = mLo;
        }
        return new TrustedProxies(netHi, netLo, maskHi, maskLo, List.copyOf(entries));
    }

    private static IllegalArgumentException invalid(String entry, String why) {
        return new IllegalArgumentException(FLAG + ": '" + entry + "': " + why);
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    /** True when the address {@code (hi, lo)} ({@link IpAddress}) lies in one of the blocks; allocates nothing. */
    public boolean contains(long hi, long lo) {
        for (int i = 0; i < netHi.length; i++) {
            if ((hi & maskHi[i]) == netHi[i] && (lo & maskLo[i]) == netLo[i]) {
                return true;
            }
        }
        return false;
    }

    /** As {@link #contains(long, long)} for an address object (allocates its bytes: once per connection). */
    public boolean contains(InetAddress address) {
        if (netHi.length == 0 || address == null) {
            return false;
        }
        long[] bits = new long[2];
        IpAddress.of(address, bits);
        return contains(bits[0], bits[1]);
    }

    /** The blocks as given, comma-separated; "none" when empty. For the start log line. */
    @Override
    public String toString() {
        return blocks.isEmpty() ? "none" : String.join(",", blocks);
    }
}
