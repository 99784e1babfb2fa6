package dev.foley.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one JSON configuration of Foley. Strict on input (duplicate keys and trailing tokens are
 * errors, numbers stay exact) so that validation sees exactly what the client sent.
 */
public final class Json {

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxNumberLength(64)
                .maxStringLength(256 * 1024)
                .build());
    }

    private Json() {
    }

    public static JsonNode text(String s) {
        return MAPPER.getNodeFactory().textNode(s);
    }

    public static JsonNode number(int n) {
        return MAPPER.getNodeFactory().numberNode(n);
    }

    public static JsonNode number(double n) {
        return MAPPER.getNodeFactory().numberNode(n);
    }

    public static JsonNode bool(boolean b) {
        return MAPPER.getNodeFactory().booleanNode(b);
    }

    /** A plain value (string, number, boolean) as a JSON node. */
    public static JsonNode valueOf(Object v) {
        return MAPPER.valueToTree(v);
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Parses client input; the exception's message is safe to show (no internals). */
    public static JsonNode parse(byte[] body) throws InvalidJsonException {
        String bad = invalidUtf8(body);
        if (bad != null) {
            throw new InvalidJsonException(bad);
        }
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidJsonException(describe(e));
        } catch (IOException e) {
            throw new InvalidJsonException("unreadable body");
        }
    }

    /**
     * Why {@code bytes} are not UTF-8 (a stray byte such as {@code FF}, an overlong form such as
     * {@code C0 AF}, an encoded surrogate such as {@code ED A0 80}), or null when they are: JSON
     * must be UTF-8 (RFC 8259), and nothing is replaced silently.
     */
    public static String invalidUtf8(byte[] bytes) {
        var decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(Math.min(bytes.length, 8192) + 16);
        while (true) {
            var r = decoder.decode(in, out, true);
            if (r.isError()) {
                return String.format(java.util.Locale.ROOT, "not valid UTF-8 (byte 0x%02X at offset %d)", bytes[in.position()] & 0xff,
                        in.position());
            }
            if (r.isUnderflow()) {
                return null;
            }
            out.clear(); // overflow: only validity matters, not the text
        }
    }

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(JsonProcessingException e) {
        String msg = e.getOriginalMessage();
        if (msg == null) {
            msg = "malformed JSON";
        }
        // Jackson's messages can run long and quote the input: keep the first sentence.
        int cut = msg.indexOf('\n');
        if (cut > 0) {
            msg = msg.substring(0, cut);
        }
        if (msg.length() > 160) {
            msg = msg.substring(0, 160) + "...";
        }
        var loc = e.getLocation();
        if (loc != null && loc.getLineNr() > 0) {
            msg += " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        }
        return msg;
    }

    /** The body is not JSON; {@link #getMessage()} is written for the client. */
    public static final class InvalidJsonException extends Exception {
        public InvalidJsonException(String message) {
            super(message, null, false, false);
        }
    }

}
