package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Makes a lenient model parse strict. Fabric8's model classes keep fields they do not know in
 * {@code additionalProperties} instead of failing, and plain Jackson drops unknown fields of the
 * Gatehouse spec classes; both would hide a typo such as {@code readOnlyRootFileSystem}.
 */
final class StrictModel {
    private StrictModel() {
    }

    /** Adds the path of every non-empty {@code additionalProperties} map in a Fabric8 object graph. */
    static void collectAdditionalProperties(Object value, String path, List<String> out) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectAdditionalProperties(item, path + "[" + i++ + "]", out);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectAdditionalProperties(v, path + "." + k, out));
            return;
        }
        if (!isModel(value.getClass())) {
            return;
        }
        for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                Object child = read(field, value);
                if (field.getName().equals("additionalProperties") && child instanceof Map<?, ?> extra) {
                    if (!extra.isEmpty()) {
                        extra.keySet().forEach(k -> out.add(path + "." + k));
                    }
                    continue;
                }
                collectAdditionalProperties(child, path + "." + field.getName(), out);
            }
        }
    }

    /** Adds every field path of {@code source} that the typed object's serialized form lost. */
    static void collectDroppedFields(JsonNode source, JsonNode typed, String path, List<String> out) {
        if (source.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode twin = typed == null ? null : typed.get(e.getKey());
                if (twin == null) {
                    if (!e.getValue().isNull()) {
                        out.add(path + "." + e.getKey());
                    }
                    continue;
                }
                collectDroppedFields(e.getValue(), twin, path + "." + e.getKey(), out);
            }
        } else if (source.isArray() && typed != null && typed.isArray()) {
            for (int i = 0; i < source.size(); i++) {
                collectDroppedFields(source.get(i), typed.get(i), path + "[" + i + "]", out);
            }
        }
    }

    private static boolean isModel(Class<?> type) {
        String name = type.getName();
        return (name.startsWith("io.fabric8.kubernetes.api.model") || name.startsWith("dev.gatehouse."))
                && !type.isEnum();
    }

    private static Object read(Field field, Object owner) {
        try {
            field.setAccessible(true);
            return field.get(owner);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new AssertionError("cannot read " + field + ": " + e, e);
        }
    }
}
