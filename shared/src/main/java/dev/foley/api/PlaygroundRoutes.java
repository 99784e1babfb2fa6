package dev.foley.api;

import dev.foley.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The playground: static files (plain HTML, CSS and ES modules, no framework) served by the API
 * itself, locally and from a deployed stack alike, under a Content-Security-Policy that allows no
 * inline script. Its form is built in the browser from {@code /openapi.json}.
 */
public final class PlaygroundRoutes {

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "form.js", "text/javascript; charset=utf-8",
            "media.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

    /** Media and uploads come from the buckets' origins (presigned URLs): allowed for media and fetch only. */
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            + "media-src 'self' blob: http: https:; connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";

    private final Optional<String> devKey;
    private final long microUsdPerSecond;
    private final Map<String, String> cache = new ConcurrentHashMap<>();

    public PlaygroundRoutes(Optional<String> devKey, long microUsdPerSecond) {
        this.devKey = devKey;
        this.microUsdPerSecond = microUsdPerSecond;
    }

    ApiResponse file(String name) throws ApiException {
        if (name.equals("config.json")) {
            var n = Json.object();
            if (devKey.isPresent()) {
                n.put("devKey", devKey.get());
            } else {
                n.putNull("devKey");
            }
            n.put("pricePerSecondUsd", microUsdPerSecond / 1e6);
            return respond(Json.write(n), "application/json");
        }
        String type = FILES.get(name);
        if (type == null) {
            throw new ApiException(404, "no such file: " + FoleyApi.shorten(name, 60));
        }
        return respond(cache.computeIfAbsent(name, PlaygroundRoutes::load), type);
    }

    ApiResponse openApiJson() {
        return respond(OpenApi.json(), "application/json");
    }

    private static ApiResponse respond(String body, String type) {
        return new ApiResponse(200, Map.of("content-type", type, "content-security-policy", CSP,
                "x-content-type-options", "nosniff", "referrer-policy", "no-referrer", "cache-control", "no-cache"), body);
    }

    private static String load(String name) {
        try (InputStream in = PlaygroundRoutes.class.getResourceAsStream("playground/" + name)) {
            if (in == null) {
                throw new IllegalStateException("playground/" + name + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
