package dev.gatehouse.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the proxy's HPACK encoder writes response fields, read from the header blocks on the wire
 * (RFC 7541 §6): {@code x-request-id}, new on every response, is never indexed, so it takes no
 * place in the connection's dynamic table; the fields that repeat are indexed once and then sent
 * as one index; every field decodes to what the target sent.
 */
class Http2HpackTest {
    /** How a field is represented in a header block (RFC 7541 §6.1–6.2). */
    enum Kind { INDEXED, INCREMENTAL, WITHOUT_INDEXING, NEVER_INDEXED }

    @Test
    void aNewValueOnEveryResponseIsNeverIndexedAndRepeatedFieldsAre() throws Exception {
        try (Backend backend = new Backend("b");
             ProxyServer proxy = ProxyServer.start(Fixtures.config())) {
            assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                    List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())),
                    List.of()))).isEmpty();
            try (RawH2 client = new RawH2(proxy.port())) {
                exchanges(client);
            }
        }
    }

    /** Two requests on one connection; each response's fields as the proxy represented them. */
    private static void exchanges(RawH2 client) throws Exception {
        client.handshake();
        DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(true);
        List<Map<String, Kind>> responses = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int stream = 1; stream <= 3; stream += 2) {
            client.headers(stream, H2Client.headers("GET", "/hpack", "a"), true).send();
            int id = stream;
            RawH2.Frame head = client.until(f -> f.type() == RawH2.HEADERS && f.streamId() == id);
            assertThat(head).isNotNull();
            assertThat(head.flags() & 0x4).as("END_HEADERS: the block is in this frame").isEqualTo(0x4);
            io.netty.buffer.ByteBuf block = Unpooled.wrappedBuffer(head.payload());
            Http2Headers decoded = decoder.decodeHeaders(id, block);
            block.release();
            assertThat(decoded.status().toString()).isEqualTo("200");
            assertThat(decoded.get("x-backend").toString()).isEqualTo("b");
            ids.add(decoded.get("x-request-id").toString());
            responses.add(kinds(head.payload(), decoded));
        }
        assertThat(ids.get(0)).isNotEqualTo(ids.get(1));
        for (Map<String, Kind> kinds : responses) {
            assertThat(kinds.get("x-request-id")).isEqualTo(Kind.NEVER_INDEXED);
        }
        assertThat(responses.get(0).get("x-backend")).as("first seen: added to the table").isEqualTo(Kind.INCREMENTAL);
        assertThat(responses.get(1).get("x-backend")).as("repeated: one index").isEqualTo(Kind.INDEXED);
        assertThat(responses.get(1).get("via")).isEqualTo(Kind.INDEXED);
    }

    /** Each field's representation, by name: the block's representations in order, matched to the decoded fields. */
    private static Map<String, Kind> kinds(byte[] block, Http2Headers decoded) {
        List<Kind> kinds = new ArrayList<>();
        int i = 0;
        while (i < block.length) {
            int b = block[i] & 0xff;
            if ((b & 0x80) != 0) {
                kinds.add(Kind.INDEXED);
                i = skipInt(block, i, 7);
                continue;
            }
            if ((b & 0xe0) == 0x20) { // dynamic table size update: no field
                i = skipInt(block, i, 5);
                continue;
            }
            Kind kind = (b & 0x40) != 0 ? Kind.INCREMENTAL : (b & 0x10) != 0 ? Kind.NEVER_INDEXED : Kind.WITHOUT_INDEXING;
            int prefix = kind == Kind.INCREMENTAL ? 6 : 4;
            boolean literalName = (b & ((1 << prefix) - 1)) == 0;
            i = skipInt(block, i, prefix);
            if (literalName) {
                i = skipString(block, i);
            }
            i = skipString(block, i);
            kinds.add(kind);
        }
        Map<String, Kind> byName = new LinkedHashMap<>();
        int n = 0;
        for (Map.Entry<CharSequence, CharSequence> field : decoded) {
            byName.put(field.getKey().toString(), kinds.get(n++));
        }
        assertThat(n).as("one representation per decoded field").isEqualTo(kinds.size());
        return byName;
    }

    /** The index after an integer with an {@code prefix}-bit prefix starting at {@code i} (RFC 7541 §5.1). */
    private static int skipInt(byte[] block, int i, int prefix) {
        int mask = (1 << prefix) - 1;
        if ((block[i++] & mask) < mask) {
            return i;
        }
        while ((block[i++] & 0x80) != 0) {
            // continuation bytes
        }
        return i;
    }

    private static int readInt(byte[] block, int i, int prefix) {
        int mask = (1 << prefix) - 1;
        int v = block[i++] & mask;
        if (v < mask) {
            return v;
        }
        int m = 0;
        int b;
        do {
            b = block[i++] & 0xff;
            v += (b & 0x7f) << m;
            m += 7;
        } while ((b & 0x80) != 0);
        return v;
    }

    /** The index after a string literal (length with a 7-bit prefix, Huffman or not) starting at {@code i}. */
    private static int skipString(byte[] block, int i) {
        int length = readInt(block, i, 7);
        return skipInt(block, i, 7) + length;
    }
}
