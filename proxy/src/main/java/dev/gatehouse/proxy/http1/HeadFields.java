package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The fields of one received HTTP/1.1 head, kept as offsets into the head's bytes, behind Netty's
 * {@link HttpHeaders} so the rest of the proxy reads and edits them as any header map.
 *
 * <p>What the relay does to a response head — look fields up, remove hop-by-hop ones, set or add
 * the proxy's own — is answered on the offsets: a removal marks fields dropped, a set or an add
 * appends a field after the received ones (where {@code DefaultHttpHeaders} puts it too). No
 * name or value object is made for a field nobody asks about, and {@link #writeTo} writes the
 * result as byte ranges plus the appended fields. Anything else (iterating names as a set, typed
 * getters, non-text values, copies) first turns the fields into a {@code DefaultHttpHeaders}
 * once (copy-on-write), which then answers everything: correct for every caller, cheap for the
 * relay's.
 *
 * <p>Names compare case-insensitively (ASCII), as in every Netty header map. Values are the
 * received bytes read as ISO-8859-1, as Netty's decoder reads them.
 */
public final class HeadFields extends MapOnlyHeaders {
    // Set again by reset when a connection's next head is parsed into this object (docs/decisions.md,
    // "Heads kept per connection"); read only on the connection's event loop.
    private byte[] bytes;
    /** Per field: name start, name end, value start, value end, into {@link #bytes}. */
    private int[] at;
    private int count;
    /**
     * Received fields removed since: the first 64 as bits (nearly every head has fewer fields, so a
     * removal allocates nothing), the others in an array made when one of them is removed.
     */
    private long removedLow;
    private boolean[] removedHigh;
    private int removedCount;
    /** Appended fields, name then value, in the first {@link #addedLen} slots; null while none is. */
    private CharSequence[] added;
    private int addedLen;
    /** Once set, the fields live here and every call goes to it. */
    private HttpHeaders map;
    /**
     * One bit per name held, received or appended, by {@link #sign}: a lookup or removal whose
     * name's bit is clear has nothing to find and walks no field. The relay asks about some
     * twenty names per exchange (hop-by-hop fields, the proxy's own before setting them) of
     * which a head holds few. A removal leaves its bit set (a later lookup walks the fields, as
     * before).
     */
    private long names;

    HeadFields(byte[] bytes, int[] at, int count) {
        reset(bytes, at, count);
    }

    /**
     * Makes this the fields of another head (the connection's next one, parsed into the buffers
     * this held): every edit of the previous head is forgotten, the appended fields' array kept,
     * emptied. The caller guarantees nothing reads the previous head any more.
     */
    void reset(byte[] bytes, int[] at, int count) {
        this.bytes = bytes;
        this.at = at;
        this.count = count;
        removedLow = 0;
        removedHigh = null;
        removedCount = 0;
        if (added != null) {
            java.util.Arrays.fill(added, 0, addedLen, null);
        }
        addedLen = 0;
        map = null;
        long n = 0;
        for (int i = 0; i < count; i++) {
            int from = at[4 * i];
            int to = at[4 * i + 1];
            n |= to > from ? sign(to - from, bytes[from] & 0xFF, bytes[to - 1] & 0xFF) : 1L;
        }
        names = n;
    }

    /** The bit of a name of {@code len} characters from {@code first} to {@code last}, case-insensitively. */
    private static long sign(int len, int first, int last) {
        return 1L << ((len * 7 + (lower(first) & 0x1F) * 3 + (lower(last) & 0x1F)) & 63);
    }

    static long sign(CharSequence name) {
        int len = name.length();
        return len == 0 ? 1L : sign(len, name.charAt(0), name.charAt(len - 1));
    }

    /** False when no field named {@code name} can be held; true when one may be. */
    private boolean mayHold(CharSequence name) {
        return (names & sign(name)) != 0;
    }

    private boolean kept(int i) {
        return i < 64 ? (removedLow & (1L << i)) == 0 : removedHigh == null || !removedHigh[i];
    }

    /** Marks kept field {@code i} removed. */
    private void markRemoved(int i) {
        if (i < 64) {
            removedLow |= 1L << i;
        } else {
            if (removedHigh == null) {
                removedHigh = new boolean[count];
            }
            removedHigh[i] = true;
        }
        removedCount++;
    }

    private boolean nameIs(int i, CharSequence name) {
        int from = at[4 * i];
        int len = at[4 * i + 1] - from;
        if (len != name.length()) {
            return false;
        }
        for (int j = 0; j < len; j++) {
            if (lower(bytes[from + j] & 0xFF) != lower(name.charAt(j))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether appended field {@code j} is named {@code name}: the same constant (the proxy sets its
     * fields by {@code AsciiString} constants), else the same length before a case-insensitive compare.
     */
    private boolean addedIs(int j, CharSequence name) {
        CharSequence a = added[2 * j];
        return a == name || a.length() == name.length() && AsciiString.contentEqualsIgnoreCase(a, name);
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    private String valueString(int i) {
        int from = at[4 * i + 2];
        return new String(bytes, from, at[4 * i + 3] - from, StandardCharsets.ISO_8859_1);
    }

    private AsciiString nameView(int i) {
        return new AsciiString(bytes, at[4 * i], at[4 * i + 1] - at[4 * i], false);
    }

    private AsciiString valueView(int i) {
        return new AsciiString(bytes, at[4 * i + 2], at[4 * i + 3] - at[4 * i + 2], false);
    }

    private int addedCount() {
        return addedLen / 2;
    }

    /** The fields as a {@code DefaultHttpHeaders}, made once; every later call is answered by it. */
    @Override
    HttpHeaders map() {
        HttpHeaders m = map;
        if (m == null) {
            m = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
            for (int i = 0; i < count; i++) {
                if (kept(i)) {
                    m.add(nameView(i).toString(), valueString(i));
                }
            }
            for (int j = 0; j < addedCount(); j++) {
                m.add(added[2 * j], added[2 * j + 1]);
            }
            map = m;
            added = null;
            addedLen = 0;
        }
        return m;
    }

    /** The head's bytes (a buffer the next head of the connection may be parsed into). */
    byte[] bytes() {
        return bytes;
    }

    /** The field offsets (reused, when large enough, for the connection's next head). */
    int[] offsets() {
        return at;
    }

    /** True once the fields were turned into a map: {@link #writeTo} no longer applies. */
    boolean materialised() {
        return map != null;
    }

    /**
     * Writes the fields as {@code name: value CRLF} lines (the end of head not included): the
     * received ones kept as byte ranges, then the appended ones, byte for byte what Netty's
     * encoder writes for the same map. The lines are laid out in the event loop's scratch array
     * and go to {@code buf} in one write: a buffer write per name, separator, value and line end
     * (forty for a typical relayed head) costs more than the copies themselves.
     *
     * @return false when the fields were turned into a map; the caller encodes that instead
     */
    public boolean writeTo(ByteBuf buf) {
        if (map != null) {
            return false;
        }
        int len = 0;
        for (int i = 0; i < count; i++) {
            if (kept(i)) {
                len += at[4 * i + 1] - at[4 * i] + at[4 * i + 3] - at[4 * i + 2] + 4;
            }
        }
        for (int j = 0; j < addedLen; j++) {
            len += added[j].length() + 2;
        }
        byte[] out = SCRATCH.get();
        if (out.length < len) {
            out = new byte[Math.max(len, 2 * out.length)];
            SCRATCH.set(out);
        }
        int w = 0;
        int i = 0;
        while (i < count) {
            if (!kept(i)) {
                i++;
                continue;
            }
            int o = 4 * i;
            if (!asWritten(i)) {
                w = copy(bytes, at[o], at[o + 1], out, w);
                out[w++] = ':';
                out[w++] = ' ';
                w = copy(bytes, at[o + 2], at[o + 3], out, w);
                out[w++] = '\r';
                out[w++] = '\n';
                i++;
                continue;
            }
            // a run of kept fields received as they are written, one after the other: one copy
            int from = at[o];
            int to = at[o + 3] + 2;
            for (i++; i < count && kept(i) && at[4 * i] == to && asWritten(i); i++) {
                to = at[4 * i + 3] + 2;
            }
            w = copy(bytes, from, to, out, w);
        }
        for (int j = 0; j < addedLen; j += 2) {
            w = text(added[j], out, w);
            out[w++] = ':';
            out[w++] = ' ';
            w = text(added[j + 1], out, w);
            out[w++] = '\r';
            out[w++] = '\n';
        }
        buf.writeBytes(out, 0, w);
        return true;
    }

    /** The scratch array {@link #writeTo} lays a head's lines out in, one per thread (the event loop's). */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };

    private static int copy(byte[] src, int from, int to, byte[] dst, int w) {
        System.arraycopy(src, from, dst, w, to - from);
        return w + to - from;
    }

    /** Writes {@code s} as its chars' low bytes (what Netty's encoder writes for a header's text). */
    private static int text(CharSequence s, byte[] dst, int w) {
        if (s instanceof AsciiString a) {
            System.arraycopy(a.array(), a.arrayOffset(), dst, w, a.length());
            return w + a.length();
        }
        int n = s.length();
        for (int k = 0; k < n; k++) {
            dst[w++] = (byte) s.charAt(k);
        }
        return w;
    }

    /**
     * True when received field {@code i}'s line is exactly what {@link #writeTo} writes for it:
     * {@code name: value CRLF}, one space after the colon, none after the value.
     */
    private boolean asWritten(int i) {
        int o = 4 * i;
        int nameEnd = at[o + 1];
        int valueEnd = at[o + 3];
        return at[o + 2] == nameEnd + 2 && bytes[nameEnd] == ':' && bytes[nameEnd + 1] == ' '
                && valueEnd + 1 < bytes.length && bytes[valueEnd] == '\r' && bytes[valueEnd + 1] == '\n';
    }

    @Override
    public String get(CharSequence name) {
        if (map != null) {
            return map.get(name);
        }
        if (!mayHold(name)) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                return valueString(i);
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name)) {
                return added[2 * j + 1].toString();
            }
        }
        return null;
    }

    @Override
    public List<String> getAll(CharSequence name) {
        if (map != null) {
            return map.getAll(name);
        }
        if (!mayHold(name)) {
            return new ArrayList<>(0);
        }
        List<String> out = new ArrayList<>(2);
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                out.add(valueString(i));
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name)) {
                out.add(added[2 * j + 1].toString());
            }
        }
        return out;
    }

    /**
     * The first value of {@code name}: a view over the head's bytes (no copy) or the appended
     * value; null when there is none. What {@link #get} answers, without making a {@code String}.
     */
    public CharSequence firstView(CharSequence name) {
        if (map != null) {
            return map.get(name);
        }
        if (!mayHold(name)) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                return valueView(i);
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name)) {
                return added[2 * j + 1];
            }
        }
        return null;
    }

    /** How many values {@code name} has (received and kept, then appended). */
    public int count(CharSequence name) {
        if (map != null) {
            return map.getAll(name).size();
        }
        if (!mayHold(name)) {
            return 0;
        }
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                n++;
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name)) {
                n++;
            }
        }
        return n;
    }

    /** The values of {@code name} as views over the head's bytes (no copy), then the appended ones. */
    @Override
    public Iterator<? extends CharSequence> valueCharSequenceIterator(CharSequence name) {
        if (map != null) {
            return map.valueCharSequenceIterator(name);
        }
        if (!mayHold(name)) {
            return java.util.Collections.emptyIterator();
        }
        CharSequence first = null;
        List<CharSequence> out = null;
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                CharSequence v = valueView(i);
                if (first == null) {
                    first = v;
                } else {
                    out = HeadValues.more(out, first, v);
                }
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name)) {
                if (first == null) {
                    first = added[2 * j + 1];
                } else {
                    out = HeadValues.more(out, first, added[2 * j + 1]);
                }
            }
        }
        // nearly every lookup finds one value or none: no list for those
        return out != null ? out.iterator() : first != null ? new HeadValues.One(first) : java.util.Collections.emptyIterator();
    }

    @Override
    public boolean contains(CharSequence name) {
        if (map != null) {
            return map.contains(name);
        }
        if (!mayHold(name)) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                return true;
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a value of {@code name}, split at commas and trimmed, is {@code value}: as {@code DefaultHttpHeaders}. */
    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        if (map != null) {
            return map.containsValue(name, value, ignoreCase);
        }
        if (!mayHold(name)) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name) && HeadValues.hasToken(valueView(i), value, ignoreCase)) {
                return true;
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            if (addedIs(j, name) && HeadValues.hasToken(added[2 * j + 1], value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    /** The index of the first kept received field named {@code name} at or after {@code from}, or -1. */
    int find(CharSequence name, int from) {
        if (!mayHold(name)) {
            return -1;
        }
        for (int i = from; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                return i;
            }
        }
        return -1;
    }

    /** The value of received field {@code i}, as a view over the head's bytes. */
    AsciiString value(int i) {
        return valueView(i);
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
        if (map != null) {
            return map.contains(name, value, ignoreCase);
        }
        for (Iterator<? extends CharSequence> it = valueCharSequenceIterator(name); it.hasNext(); ) {
            CharSequence v = it.next();
            if (ignoreCase ? AsciiString.contentEqualsIgnoreCase(v, value) : AsciiString.contentEquals(v, value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public int size() {
        return map != null ? map.size() : count - removedCount + addedCount();
    }

    /** The fields in order, names and values as views over the head's bytes (no copy). */
    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        if (map != null) {
            return map.iteratorCharSequence();
        }
        List<Map.Entry<CharSequence, CharSequence>> out = new ArrayList<>(size());
        for (int i = 0; i < count; i++) {
            if (kept(i)) {
                out.add(new SimpleImmutableEntry<>(nameView(i), valueView(i)));
            }
        }
        for (int j = 0; j < addedCount(); j++) {
            out.add(new SimpleImmutableEntry<>(added[2 * j], added[2 * j + 1]));
        }
        return out.iterator();
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        if (map != null) {
            return map.entries();
        }
        List<Map.Entry<String, String>> out = new ArrayList<>(size());
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            out.add(new SimpleImmutableEntry<>(e.getKey().toString(), e.getValue().toString()));
        }
        return out;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries().iterator();
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        if (map != null || !(value instanceof CharSequence v)) {
            map().add(name, value);
            return this;
        }
        if (added == null) {
            added = new CharSequence[16]; // the proxy's own fields of a request or a response fit
        } else if (addedLen == added.length) {
            added = java.util.Arrays.copyOf(added, addedLen * 2);
        }
        added[addedLen++] = name;
        added[addedLen++] = v;
        names |= sign(name);
        return this;
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        if (map != null || !(value instanceof CharSequence)) {
            map().set(name, value);
            return this;
        }
        remove(name);
        return add(name, value);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        if (map != null) {
            map.remove(name);
            return this;
        }
        if (!mayHold(name)) {
            return this;
        }
        for (int i = 0; i < count; i++) {
            if (kept(i) && nameIs(i, name)) {
                markRemoved(i);
            }
        }
        if (added != null) {
            for (int j = addedCount() - 1; j >= 0; j--) {
                if (addedIs(j, name)) {
                    System.arraycopy(added, 2 * j + 2, added, 2 * j, addedLen - 2 * j - 2);
                    added[--addedLen] = null;
                    added[--addedLen] = null;
                }
            }
        }
        return this;
    }

    @Override
    public HttpHeaders clear() {
        if (map != null) {
            map.clear();
            return this;
        }
        for (int i = 0; i < count; i++) {
            if (kept(i)) {
                markRemoved(i);
            }
        }
        added = null;
        addedLen = 0;
        return this;
    }
}
