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
            "timeline.js", "text/javascript; charset=utf-8",
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

    /**
     * The playground's configuration, which may carry local mode's dev key: only for the
     * playground's own page. A browser tells where a request comes from ({@code Sec-Fetch-Site},
     * {@code Origin}); a page of another origin is refused, and the answer never carries
     * {@code Access-Control-Allow-Origin}, so no other page could read it anyway.
     */
    ApiResponse config(ApiRequest req) throws ApiException {
        String site = req.header("sec-fetch-site");
        String origin = req.header("origin");
        String host = req.header("host") != null ? req.header("host") : req.domainName();
        boolean crossSite = site != null && !site.equals("same-origin") && !site.equals("none");
        boolean otherOrigin = false;
        if (origin != null) {
            try {
                otherOrigin = host == null || !host.equalsIgnoreCase(java.net.URI.create(origin).getRawAuthority());
            } catch (IllegalArgumentException e) {
                otherOrigin = true;
            }
        }
        if (crossSite || otherOrigin) {
            throw new ApiException(403, "the playground's configuration is for the playground's own page only");
        }
        return file("config.json");
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
            var r = respond(Json.write(n), "application/json");
            var h = new java.util.HashMap<>(r.headers());
            h.put("cache-control", "no-store"); // it may hold a key
            h.put(FoleyApi.SAME_ORIGIN_ONLY, "1");
            return new ApiResponse(200, Map.copyOf(h), r.body());
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
