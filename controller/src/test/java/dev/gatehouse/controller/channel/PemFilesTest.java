package dev.gatehouse.controller.channel;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key formats Helm, cert-manager and openssl write all read as the same key. */
class PemFilesTest {

    @Test
    void pkcs8Pkcs1AndSec1ReadAsTheSameKey() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair rsaPair = rsa.generateKeyPair();
        byte[] pkcs8 = rsaPair.getPrivate().getEncoded();
        assertThat(read("PRIVATE KEY", pkcs8).getEncoded()).isEqualTo(pkcs8);
        assertThat(read("RSA PRIVATE KEY", pkcs1(pkcs8)).getEncoded()).as("Helm's genPrivateKey rsa").isEqualTo(pkcs8);
        assertThat(ServerTls.matches(read("RSA PRIVATE KEY", pkcs1(pkcs8)), rsaPair.getPublic())).isTrue();

        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ecPair = ec.generateKeyPair();
        PrivateKey fromSec1 = read("EC PRIVATE KEY", sec1((ECPrivateKey) ecPair.getPrivate()));
        assertThat(((ECPrivateKey) fromSec1).getS()).as("Helm's genPrivateKey ecdsa").isEqualTo(((ECPrivateKey) ecPair.getPrivate()).getS());
        assertThat(ServerTls.matches(fromSec1, ecPair.getPublic())).isTrue();
        assertThat(ServerTls.matches(fromSec1, rsaPair.getPublic())).isFalse();
        assertThat(ServerTls.matches(rsaPair.getPrivate(), ec.generateKeyPair().getPublic())).isFalse();
    }

    @Test
    void otherBlocksAreSkippedAndEncryptedOrMissingKeysAreNamed() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        byte[] der = ec.generateKeyPair().getPrivate().getEncoded();
        String both = TestCa.pem("CERTIFICATE", new byte[] {1, 2, 3}) + TestCa.pem("PRIVATE KEY", der);
        assertThat(PemFiles.privateKey(both.getBytes(StandardCharsets.US_ASCII)).getEncoded()).isEqualTo(der);
        assertThatThrownBy(() -> read("ENCRYPTED PRIVATE KEY", der))
                .hasMessageContaining("a 'ENCRYPTED PRIVATE KEY' block (expected: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY");
        assertThatThrownBy(() -> PemFiles.privateKey(TestCa.pem("CERTIFICATE", new byte[] {1}).getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(GeneralSecurityException.class).hasMessageStartingWith("no private key");
        assertThatThrownBy(() -> read("EC PRIVATE KEY", new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}))
                .hasMessageContaining("without a named curve");
        assertThatThrownBy(() -> read("EC PRIVATE KEY", new byte[] {0x30, 0x7f}))
                .hasMessageContaining("DER element longer than the key");
    }

    private static PrivateKey read(String type, byte[] der) throws GeneralSecurityException {
        return PemFiles.privateKey(TestCa.pem(type, der).getBytes(StandardCharsets.US_ASCII));
    }

    /** The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo: its last element, an OCTET STRING. */
    static byte[] pkcs1(byte[] pkcs8) {
        int at = header(pkcs8, 0)[0]; // into the outer SEQUENCE
        at = skip(pkcs8, at); // version
        at = skip(pkcs8, at); // AlgorithmIdentifier
        int[] octets = header(pkcs8, at);
        return Arrays.copyOfRange(pkcs8, octets[0], octets[0] + octets[1]);
    }

    /** SEC1 ECPrivateKey { 1, OCTET STRING s, [0] prime256v1 } as Helm's genPrivateKey "ecdsa" writes it. */
    static byte[] sec1(ECPrivateKey key) {
        byte[] s = key.getS().toByteArray();
        byte[] fixed = new byte[32];
        int n = Math.min(32, s.length);
        System.arraycopy(s, s.length - n, fixed, 32 - n, n);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x01, 0x04, 0x20});
        body.writeBytes(fixed);
        body.writeBytes(new byte[] {(byte) 0xA0, 0x0a, 0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.write(body.size());
        out.writeBytes(body.toByteArray());
        assertThat(new BigInteger(1, fixed)).isEqualTo(key.getS());
        return out.toByteArray();
    }

    /** {value start, value length} of the element at {@code at}. */
    private static int[] header(byte[] der, int at) {
        int len = der[at + 1] & 0xff;
        int pos = at + 2;
        if (len >= 0x80) {
            int bytes = len & 0x7f;
            len = 0;
            for (int i = 0; i < bytes; i++) {
                len = (len << 8) | (der[pos++] & 0xff);
            }
        }
        return new int[] {pos, len};
    }

    private static int skip(byte[] der, int at) {
        int[] h = header(der, at);
        return h[0] + h[1];
    }
}
