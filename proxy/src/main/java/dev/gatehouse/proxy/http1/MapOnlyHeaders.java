package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.List;
import java.util.Set;

/**
 * The part of {@link HttpHeaders} that {@link HeadFields} never answers on its offsets: typed
 * getters and setters, the name set, values given as iterables, copies. Each goes to
 * {@link #map()}, which turns the fields into a map once (copy-on-write) and answers every later
 * call. Kept apart so that {@code HeadFields} holds only what the relay's path runs.
 */
abstract class MapOnlyHeaders extends HttpHeaders {
    /** The fields as a map, made on the first call; every later call is answered by it. */
    abstract HttpHeaders map();

    // The String forms of what the subclass answers in its CharSequence forms.

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public boolean contains(String name) {
        return contains((CharSequence) name);
    }

    @Override
    public boolean contains(String name, String value, boolean ignoreCase) {
        return contains((CharSequence) name, (CharSequence) value, ignoreCase);
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public Integer getInt(CharSequence name) {
        return map().getInt(name);
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        return map().getInt(name, defaultValue);
    }

    @Override
    public Short getShort(CharSequence name) {
        return map().getShort(name);
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        return map().getShort(name, defaultValue);
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        return map().getTimeMillis(name);
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        return map().getTimeMillis(name, defaultValue);
    }

    @Override
    public Set<String> names() {
        return map().names();
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        map().add(name, values);
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        map().addInt(name, value);
        return this;
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        map().addShort(name, value);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        map().set(name, values);
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        map().setInt(name, value);
        return this;
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        map().setShort(name, value);
        return this;
    }

    @Override
    public HttpHeaders copy() {
        return map().copy();
    }
}
