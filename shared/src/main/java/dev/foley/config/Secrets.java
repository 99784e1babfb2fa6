package dev.foley.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Provider keys and webhook secrets never live in the template or the code: a deployed stack
 * keeps them as SecureString parameters under {@code FOLEY_SECRETS_PATH} (for example
 * {@code /foley/prod/FAL_KEY}), read once at start-up. A variable already set in the environment
 * wins (local mode and tests set them directly).
 */
public final class Secrets {

    /** The names that may be read from the path; nothing else is taken from it. */
    public static final Set<String> NAMES = Set.of("WAVESPEED_API_KEY", "WAVESPEED_WEBHOOK_SECRET", "FAL_KEY",
            "REPLICATE_API_TOKEN", "REPLICATE_WEBHOOK_SECRET");

    private Secrets() {
    }

    /**
     * The environment with the secrets under {@code FOLEY_SECRETS_PATH} filled in; {@code read}
     * gives the parameters under a path (name after its last slash → value).
     */
    public static Map<String, String> resolve(Map<String, String> env, java.util.function.Function<String, Map<String, String>> read) {
        String path = env.get("FOLEY_SECRETS_PATH");
        if (path == null || path.isBlank()) {
            return env;
        }
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        Map<String, String> out = new HashMap<>(env);
        try {
            read.apply(trimmed).forEach((name, value) -> {
                String current = out.get(name);
                if (NAMES.contains(name) && (current == null || current.isBlank())) {
                    out.put(name, value);
                }
            });
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read secrets under " + path + " from SSM Parameter Store: " + e.getMessage(), e);
        }
        return out;
    }
}
