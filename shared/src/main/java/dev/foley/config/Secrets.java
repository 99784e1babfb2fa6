package dev.foley.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.ssm.SsmClient;

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

    /** The environment with the secrets under {@code FOLEY_SECRETS_PATH} filled in. */
    public static Map<String, String> resolve(Map<String, String> env, java.util.function.Supplier<SsmClient> ssm) {
        String path = env.get("FOLEY_SECRETS_PATH");
        if (path == null || path.isBlank()) {
            return env;
        }
        String prefix = path.endsWith("/") ? path : path + "/";
        Map<String, String> out = new HashMap<>(env);
        try (SsmClient client = ssm.get()) {
            client.getParametersByPathPaginator(r -> r.path(prefix.substring(0, prefix.length() - 1)).withDecryption(true))
                    .stream().flatMap(page -> page.parameters().stream()).forEach(p -> {
                        String name = p.name().substring(p.name().lastIndexOf('/') + 1);
                        String current = out.get(name);
                        if (NAMES.contains(name) && (current == null || current.isBlank())) {
                            out.put(name, p.value());
                        }
                    });
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read secrets under " + path + " from SSM Parameter Store: " + e.getMessage(), e);
        }
        return out;
    }
}
