package dev.gatehouse.config.channel;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserSequence;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
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
 *
 * <p>A message is parsed once: when {@code type} and {@code protocol} come first, as every
 * message this codec writes has them, the two are read off the token stream and the rest is bound
 * to the record straight from the same stream (a multi-megabyte snapshot is never held as a JSON
 * tree). A message with another field order is read as a tree first, as before.
 */
public final class ChannelCodec {
    private static final Map<String, Class<? extends ChannelMessage>> TYPES = Map.of(
            "hello", Hello.class,
            "snapshot", SnapshotPush.class,
            "endpoints", EndpointDelta.class,
            "objects", ObjectDelta.class,
            "ack", Ack.class,
            "nack", Nack.class);
    private static final String KNOWN = "hello, snapshot, endpoints, objects, ack, nack";

    private ChannelCodec() {
    }

    /** The {@code type} of a message in its JSON form. */
    public static String typeOf(ChannelMessage message) {
        Objects.requireNonNull(message, "message");
        if (message instanceof Hello) {
            return "hello";
        } else if (message instanceof SnapshotPush) {
            return "snapshot";
        } else if (message instanceof EndpointDelta) {
            return "endpoints";
        } else if (message instanceof ObjectDelta) {
            return "objects";
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
        try (JsonParser p = SnapshotCodec.mapper().createParser(json)) {
            ChannelMessage streamed = stream(p);
            return streamed != null ? streamed : decode(SnapshotCodec.mapper().readTree(json));
        } catch (ChannelCodecException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw new ChannelCodecException("not a channel message: not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ChannelCodecException("not a channel message: " + e.getMessage(), e);
        }
    }

    /** Reads one message from {@code in}; the caller closes the stream. */
    public static ChannelMessage decode(InputStream in) {
        Objects.requireNonNull(in, "in");
        if (!in.markSupported()) {
            in = new java.io.BufferedInputStream(in);
        }
        in.mark(Integer.MAX_VALUE); // for the tree fallback of a message not in canonical order
        try (JsonParser p = SnapshotCodec.mapper().createParser(in)) {
            p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
            ChannelMessage streamed = stream(p);
            if (streamed != null) {
                return streamed;
            }
            in.reset();
            return decode(SnapshotCodec.mapper().readTree(in));
        } catch (ChannelCodecException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw new ChannelCodecException("not a channel message: not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ChannelCodecException("not a channel message: " + e.getMessage(), e);
        }
    }

    /**
     * The single pass: when the object opens with {@code "type"} then {@code "protocol"}, checks
     * both and binds the record from the rest of the same stream; null when the fields come in
     * another order (the caller then reads a tree).
     */
    private static ChannelMessage stream(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT || !"type".equals(p.nextFieldName())) {
            return null;
        }
        if (p.nextToken() != JsonToken.VALUE_STRING) {
            return null;
        }
        String type = p.getText();
        if (!"protocol".equals(p.nextFieldName())) {
            return null;
        }
        JsonToken protocolToken = p.nextToken();
        Class<? extends ChannelMessage> cls = TYPES.get(type);
        if (cls == null) {
            throw new ChannelCodecException("type: '" + abbreviate(type) + "' (expected: one of " + KNOWN + ")");
        }
        if (protocolToken != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new ChannelCodecException(type + ".protocol: " + p.getText() + " (expected: " + ChannelMessage.PROTOCOL + ")");
        }
        int protocol = p.getIntValue();
        if (protocol != ChannelMessage.PROTOCOL) {
            throw new ChannelCodecException(type + ".protocol: " + protocol + " (expected: " + ChannelMessage.PROTOCOL + ")");
        }
        // The record binds "protocol" too: replay the opening, that field and the scalar fields
        // after it (noting version and hash, for the error of a message that does not bind), then
        // go on with the same stream from its first structured value.
        TokenBuffer head = new TokenBuffer(p);
        head.writeStartObject();
        head.writeFieldName("protocol");
        head.writeNumber(protocol);
        long version = -1;
        String hash = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            head.writeFieldName(field);
            if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                break;
            }
            head.copyCurrentEvent(p);
            if ("version".equals(field) && value == JsonToken.VALUE_NUMBER_INT) {
                version = p.getLongValue();
            } else if ("hash".equals(field) && value == JsonToken.VALUE_STRING) {
                hash = p.getText();
            }
        }
        if (t == null) {
            throw new ChannelCodecException("not a channel message: not JSON (unexpected end of input)");
        }
        try (JsonParser rest = JsonParserSequence.createFlattened(true, head.asParser(p.getCodec()), p)) {
            return SnapshotCodec.mapper().readValue(rest, cls);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String why = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new ChannelCodecException("not a valid " + type + " message: " + why, e, type, version, hash);
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
