package dev.foley.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step (run by Maven after compiling {@code shared}): writes {@code openapi.json} beside
 * {@code openapi.yaml} in the classes, so no YAML parser goes into a Lambda zip. The YAML parser
 * is a build-time dependency only.
 */
public final class OpenApiJson {

    private OpenApiJson() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Object tree = new ObjectMapper(new YAMLFactory()).readTree(OpenApi.TEXT);
        Files.createDirectories(out.getParent());
        Files.writeString(out, new ObjectMapper().writeValueAsString(tree), StandardCharsets.UTF_8);
    }
}
