package dev.gatehouse.proxy.http1;

import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** What {@link HeadFields} does with field values beyond finding them: token lists, and value iterators without a list. */
final class HeadValues {
    private HeadValues() {
    }

    /** Whether {@code v}, split at commas and trimmed, holds {@code token}: as {@code DefaultHttpHeaders#containsValue}. */
    static boolean hasToken(CharSequence v, CharSequence token, boolean ignoreCase) {
        int n = v.length();
        int i = 0;
        while (i <= n) {
            int end = i;
            while (end < n && v.charAt(end) != ',') {
                end++;
            }
            int from = i;
            int to = end;
            while (from < to && (v.charAt(from) == ' ' || v.charAt(from) == '\t')) {
                from++;
            }
            while (to > from && (v.charAt(to - 1) == ' ' || v.charAt(to - 1) == '\t')) {
                to--;
            }
            if (to - from == token.length() && AsciiString.regionMatches(v, ignoreCase, from, token, 0, to - from)) {
                return true;
            }
            i = end + 1;
        }
        return false;
    }

    /** The values found so far as a list, {@code first} first, then {@code next}. */
    static List<CharSequence> more(List<CharSequence> out, CharSequence first, CharSequence next) {
        if (out == null) {
            out = new ArrayList<>(4);
            out.add(first);
        }
        out.add(next);
        return out;
    }

    /** An iterator over one value. */
    static final class One implements Iterator<CharSequence> {
        private CharSequence value;

        One(CharSequence value) {
            this.value = value;
        }

        @Override
        public boolean hasNext() {
            return value != null;
        }

        @Override
        public CharSequence next() {
            CharSequence v = value;
            if (v == null) {
                throw new NoSuchElementException();
            }
            value = null;
            return v;
        }
    }
}
