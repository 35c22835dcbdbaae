package dev.gatehouse.config.channel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.SnapshotCodec;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Objects;

/**
 * JSON for {@link ChannelMessage}s, canonical like {@link SnapshotCodec}: {@code type} first,
 * then the record's components in declaration order, nulls left out.
 *
 * <pre>{"type":"ack","protocol":1,"version":42,"hash":"9f86d0…"}</pre>
 *
 * Reading checks {@code type} and {@code protocol} before anything else, so a message of an
 * unknown type or another protocol version fails with a message that says so, not with a
 * field-mapping error. Unknown properties are ignored (a newer peer may add fields).
 */
public final class ChannelCodec {
    private static final Map<String, Class<? extends ChannelMessage>> TYPES = Map.of(
            "hello", Hello.class,
            "snapshot", SnapshotPush.class,
            "ack", Ack.class,
            "nack", Nack.class);
    private static final String KNOWN = "hello, snapshot, ack, nack";

    private ChannelCodec() {
    }

    /** The {@code type} of a message in its JSON form. */
    public static String typeOf(ChannelMessage message) {
        Objects.requireNonNull(message, "message");
        if (message instanceof Hello) {
            return "hello";
        } else if (message instanceof SnapshotPush) {
            return "snapshot";
        } else if (message instanceof Ack) {
            return "ack";
        }
        return "nack";
    }

    /** UTF-8 JSON of the message. */
    public static byte[] encode(ChannelMessage message) {
        ObjectMapper mapper = SnapshotCodec.mapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("type", typeOf(message));
        node.setAll((ObjectNode) mapper.valueToTree(message));
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + typeOf(message), e);
        }
    }

    public static ChannelMessage decode(byte[] json) {
        Objects.requireNonNull(json, "json");
        try {
            return decode(SnapshotCodec.mapper().readTree(json));
        } catch (JsonProcessingException e) {
            throw new ChannelCodecException("not a channel message: not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ChannelCodecException("not a channel message: " + e.getMessage(), e);
        }
    }

    /** Reads one message from {@code in}; the caller closes the stream. */
    public static ChannelMessage decode(InputStream in) {
        Objects.requireNonNull(in, "in");
        try {
            return decode(SnapshotCodec.mapper().readTree(in));
        } catch (JsonProcessingException e) {
            throw new ChannelCodecException("not a channel message: not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ChannelCodecException("not a channel message: " + e.getMessage(), e);
        }
    }

    private static ChannelMessage decode(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new ChannelCodecException("not a channel message: "
                    + (node == null || node.isMissingNode() ? "empty" : node.getNodeType().name().toLowerCase())
                    + " (expected: a JSON object)");
        }
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new ChannelCodecException("type: missing (expected: one of " + KNOWN + ")");
        }
        String type = typeNode.asText();
        Class<? extends ChannelMessage> cls = TYPES.get(type);
        if (cls == null) {
            throw new ChannelCodecException("type: '" + abbreviate(type) + "' (expected: one of " + KNOWN + ")");
        }
        JsonNode protocol = node.get("protocol");
        if (protocol == null || !protocol.canConvertToInt() || !protocol.isIntegralNumber()) {
            throw new ChannelCodecException(type + ".protocol: " + (protocol == null ? "missing" : protocol.toString())
                    + " (expected: " + ChannelMessage.PROTOCOL + ")");
        }
        if (protocol.intValue() != ChannelMessage.PROTOCOL) {
            throw new ChannelCodecException(type + ".protocol: " + protocol.intValue()
                    + " (expected: " + ChannelMessage.PROTOCOL + ")");
        }
        try {
            return SnapshotCodec.mapper().treeToValue(node, cls);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String why = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            JsonNode version = node.get("version");
            JsonNode hash = node.get("hash");
            throw new ChannelCodecException("not a valid " + type + " message: " + why, e, type,
                    version != null && version.canConvertToLong() && version.isIntegralNumber() ? version.longValue() : -1,
                    hash != null && hash.isTextual() ? hash.asText() : null);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
