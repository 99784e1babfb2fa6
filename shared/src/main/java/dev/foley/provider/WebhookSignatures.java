package dev.foley.provider;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookSigningException;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The three webhook signature schemes Foley meets. WaveSpeed and Standard Webhooks share header
 * names but differ in everything else, so one verifier cannot serve both:
 * <ul>
 * <li>WaveSpeed: {@code webhook-signature: v3,<hex>}, HMAC-SHA256 of {@code id.timestamp.body}
 *     keyed with the secret's text after {@code whsec_} (not base64-decoded);</li>
 * <li>Standard Webhooks (Replicate): {@code v1,<base64>}, key base64-decoded from after
 *     {@code whsec_}: done by the {@code com.standardwebhooks} library;</li>
 * <li>fal: Ed25519 over {@code request_id\nuser_id\ntimestamp\nsha256hex(body)}.</li>
 * </ul>
 * Every scheme refuses messages older (or newer) than 300 s.
 */
public final class WebhookSignatures {

    public static final Duration TOLERANCE = Duration.ofSeconds(300);
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private WebhookSignatures() {
    }

    // ---- WaveSpeed v3 ----

    public static String wavespeedSign(String secret, String id, long timestamp, byte[] body) {
        return "v3," + HexFormat.of().formatHex(hmac(wavespeedKey(secret), signedContent(id, timestamp, body)));
    }

    public static void wavespeedVerify(String secret, Map<String, String> headers, byte[] body, Clock clock)
            throws InvalidCallbackException {
        String id = required(headers, "webhook-id");
        long ts = timestamp(required(headers, "webhook-timestamp"), clock);
        byte[] expected = hmac(wavespeedKey(secret), signedContent(id, ts, body));
        for (String sig : required(headers, "webhook-signature").split(" ")) {
            int comma = sig.indexOf(',');
            if (comma > 0 && sig.substring(0, comma).equals("v3")) {
                try {
                    if (MessageDigest.isEqual(expected, HexFormat.of().parseHex(sig.substring(comma + 1).strip()))) {
                        return;
                    }
                } catch (IllegalArgumentException notHex) {
                    // try the next one
                }
            }
        }
        throw new InvalidCallbackException("webhook signature does not match");
    }

    private static byte[] wavespeedKey(String secret) {
        String s = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- Standard Webhooks (library) ----

    public static String standardSign(String secret, String id, long timestamp, byte[] body) {
        try {
            return new Webhook(secret).sign(id, timestamp, new String(body, StandardCharsets.UTF_8));
        } catch (WebhookSigningException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void standardVerify(String secret, Map<String, String> headers, byte[] body)
            throws InvalidCallbackException {
        Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> h.put(k, List.of(v)));
        try {
            new Webhook(secret).verify(new String(body, StandardCharsets.UTF_8), h);
        } catch (WebhookVerificationException e) {
            throw new InvalidCallbackException("webhook signature: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidCallbackException("webhook signature could not be checked: " + e.getMessage());
        }
    }

    // ---- fal: Ed25519 ----

    /** The message fal signs. */
    public static byte[] falMessage(String requestId, String userId, String timestamp, byte[] body) {
        return (requestId + "\n" + userId + "\n" + timestamp + "\n" + sha256Hex(body)).getBytes(StandardCharsets.UTF_8);
    }

    /** An Ed25519 public key from its raw 32 bytes (a JWKS {@code x}). */
    public static PublicKey ed25519(byte[] raw) throws GeneralSecurityException {
        if (raw.length != 32) {
            throw new GeneralSecurityException("an Ed25519 key is 32 bytes, got " + raw.length);
        }
        byte[] der = new byte[ED25519_SPKI_PREFIX.length + 32];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(raw, 0, der, ED25519_SPKI_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }

    public static boolean ed25519Verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    // ---- shared ----

    /** Reads a unix-seconds timestamp and refuses it when it is more than 300 s away from now. */
    public static long timestamp(String value, Clock clock) throws InvalidCallbackException {
        long ts;
        try {
            ts = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new InvalidCallbackException("webhook timestamp is not a number");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - ts) > TOLERANCE.toSeconds()) {
            throw new InvalidCallbackException("webhook timestamp is " + Math.abs(now - ts) + " s away from now (limit 300)");
        }
        return ts;
    }

    public static String required(Map<String, String> headers, String lowerName) throws InvalidCallbackException {
        String v = headers.get(lowerName);
        if (v == null || v.isBlank()) {
            throw new InvalidCallbackException("missing header " + lowerName);
        }
        return v;
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] signedContent(String id, long ts, byte[] body) {
        byte[] head = (id + "." + ts + ".").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
