package dev.foley.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The API's OpenAPI 3.1 document ({@code openapi.yaml} beside this class), served at {@code /openapi.yaml}. */
public final class OpenApi {

    public static final String TEXT = load();
    private static volatile String json;

    /** The same document as JSON (converted once, on first use: the playground builds its form from it). */
    public static String json() {
        String j = json;
        if (j == null) {
            try {
                j = dev.foley.json.Json.write(new com.fasterxml.jackson.databind.ObjectMapper(
                        new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(TEXT));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            json = j;
        }
        return j;
    }

    private OpenApi() {
    }

    private static String load() {
        try (InputStream in = OpenApi.class.getResourceAsStream("openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
