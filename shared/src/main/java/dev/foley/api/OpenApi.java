package dev.foley.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The API's OpenAPI 3.1 document ({@code openapi.yaml} beside this class, completed at build time
 * with every model of the registry by {@link OpenApiJson}), served at {@code /openapi.yaml}.
 */
public final class OpenApi {

    public static final String TEXT = load("openapi.yaml");
    private static volatile String json;

    /**
     * The same document as JSON (the playground builds its form from it), made from the YAML at
     * build time ({@link OpenApiJson}) and read on first use.
     */
    public static String json() {
        String j = json;
        if (j == null) {
            j = load("openapi.json");
            json = j;
        }
        return j;
    }

    private OpenApi() {
    }

    private static String load(String name) {
        try (InputStream in = OpenApi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the classpath (openapi.json is made by the build)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
