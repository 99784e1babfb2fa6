package dev.foley.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The API's OpenAPI 3.1 document ({@code openapi.yaml} beside this class), served at {@code /openapi.yaml}. */
public final class OpenApi {

    public static final String TEXT = load();

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
