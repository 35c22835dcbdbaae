package dev.gatehouse.controller.channel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys as the channel's TLS files come: from Helm ({@code genCA},
 * {@code genSignedCertWithKey}: SEC1 {@code EC PRIVATE KEY} or PKCS#1 {@code RSA PRIVATE KEY}),
 * cert-manager (PKCS#1 or PKCS#8) or openssl (PKCS#8 {@code PRIVATE KEY}). The JDK reads only
 * PKCS#8, so PKCS#1 and SEC1 keys are wrapped into PKCS#8 here (RFC 5208 §5, RFC 5915 §3),
 * without an extra library. Encrypted keys are not supported.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500"); // rsaEncryption, NULL
    private static final byte[] EC_PUBLIC_KEY_OID = hex("06072a8648ce3d0201"); // id-ecPublicKey

    private PemFiles() {
    }

    /** Every certificate of a PEM chain, in file order; at least one. */
    public static List<X509Certificate> certificates(byte[] pem) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        for (var c : factory.generateCertificates(new ByteArrayInputStream(pem))) {
            out.add((X509Certificate) c);
        }
        if (out.isEmpty()) {
            throw new CertificateException("no certificate (expected: at least one -----BEGIN CERTIFICATE----- block)");
        }
        return out;
    }

    /** The first private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC). */
    public static PrivateKey privateKey(byte[] pem) throws GeneralSecurityException {
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            String type = m.group(1);
            if (!type.endsWith("PRIVATE KEY")) {
                continue;
            }
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            return switch (type) {
                case "PRIVATE KEY" -> pkcs8(der);
                case "RSA PRIVATE KEY" -> KeyFactory.getInstance("RSA").generatePrivate(
                        new PKCS8EncodedKeySpec(privateKeyInfo(RSA_ALGORITHM, der)));
                case "EC PRIVATE KEY" -> KeyFactory.getInstance("EC").generatePrivate(
                        new PKCS8EncodedKeySpec(privateKeyInfo(ecAlgorithm(der), der)));
                default -> throw new GeneralSecurityException("a '" + type + "' block (expected: PRIVATE KEY, "
                        + "RSA PRIVATE KEY or EC PRIVATE KEY, not encrypted)");
            };
        }
        throw new GeneralSecurityException("no private key (expected: a -----BEGIN PRIVATE KEY----- block, "
                + "or RSA PRIVATE KEY, or EC PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "DSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("a PKCS#8 key of no known algorithm (expected: RSA, EC, Ed25519 or DSA)", last);
    }

    /** PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING privateKey }. */
    private static byte[] privateKeyInfo(byte[] algorithm, byte[] key) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(tlv(0x04, key));
        return tlv(0x30, body.toByteArray());
    }

    /**
     * AlgorithmIdentifier { id-ecPublicKey, namedCurve } from a SEC1 ECPrivateKey ::= SEQUENCE {
     * version 1, OCTET STRING privateKey, [0] parameters (the curve's OID), [1] publicKey }.
     */
    private static byte[] ecAlgorithm(byte[] sec1) throws GeneralSecurityException {
        Der seq = new Der(sec1, 0);
        if (seq.tag != 0x30) {
            throw new GeneralSecurityException("EC PRIVATE KEY: not a DER SEQUENCE");
        }
        int at = seq.start;
        while (at < seq.end) {
            Der field = new Der(sec1, at);
            if (field.tag == 0xA0) {
                Der oid = new Der(sec1, field.start);
                if (oid.tag != 0x06) {
                    break;
                }
                ByteArrayOutputStream alg = new ByteArrayOutputStream();
                alg.writeBytes(EC_PUBLIC_KEY_OID);
                alg.write(sec1, field.start, oid.end - field.start);
                return tlv(0x30, alg.toByteArray());
            }
            at = field.end;
        }
        throw new GeneralSecurityException("EC PRIVATE KEY without a named curve (expected: the curve's OID in [0] parameters)");
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** One DER element's tag and where its value starts and ends. */
    private static final class Der {
        final int tag;
        final int start;
        final int end;

        Der(byte[] der, int at) throws GeneralSecurityException {
            try {
                tag = der[at] & 0xff;
                int len = der[at + 1] & 0xff;
                int pos = at + 2;
                if (len >= 0x80) {
                    int bytes = len & 0x7f;
                    if (bytes == 0 || bytes > 3) {
                        throw new GeneralSecurityException("DER length of " + bytes + " bytes (expected: 1..3)");
                    }
                    len = 0;
                    for (int i = 0; i < bytes; i++) {
                        len = (len << 8) | (der[pos++] & 0xff);
                    }
                }
                start = pos;
                end = pos + len;
                if (end > der.length) {
                    throw new GeneralSecurityException("DER element longer than the key");
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                throw new GeneralSecurityException("truncated DER", e);
            }
        }
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
