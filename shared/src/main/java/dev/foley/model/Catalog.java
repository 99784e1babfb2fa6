package dev.foley.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The models this deployment serves and which provider serves each, first to last. By default it
 * serves every model of the registry that a configured provider serves, each through the
 * configured providers in their order (the primary, then the fallbacks) that serve it.
 * {@code FOLEY_MODELS} narrows the list (model ids, comma-separated); {@code FOLEY_MODEL_PROVIDERS}
 * chooses a model's providers and their order ({@code kwaivgi/kling-video-to-audio=fal,wavespeed;
 * wavespeed-ai/hunyuan-video-foley=fal}), each of them configured and serving it.
 *
 * @param providers the configured providers, primary first
 * @param only      the models asked for (empty: every one served)
 * @param chosen    a model's providers, as configured, where they were
 */
public record Catalog(List<String> providers, Set<String> only, Map<String, List<String>> chosen) {

    public Catalog {
        providers = List.copyOf(providers);
        only = Set.copyOf(only);
        chosen = Map.copyOf(chosen);
    }

    /** Every model a configured provider serves, through the providers in their configured order. */
    public static Catalog of(List<String> providers) {
        return new Catalog(providers, Set.of(), Map.of());
    }

    /**
     * From {@code FOLEY_MODELS} and {@code FOLEY_MODEL_PROVIDERS} (null or blank: not set); a model
     * or provider that cannot be served as asked fails here, at start-up, saying which and why.
     */
    public static Catalog fromEnv(List<String> providers, String models, String modelProviders) {
        Set<String> only = new LinkedHashSet<>();
        if (models != null && !models.isBlank()) {
            for (String id : models.split("[,\\s]+")) {
                if (id.isBlank()) {
                    continue;
                }
                Model m = Models.byId(id.strip()).orElseThrow(() -> new IllegalStateException("FOLEY_MODELS names an unknown model '"
                        + id.strip() + "'; Foley knows " + String.join(", ", Models.ALL.stream().map(Model::id).toList())));
                only.add(m.id());
            }
        }
        Map<String, List<String>> chosen = new LinkedHashMap<>();
        if (modelProviders != null && !modelProviders.isBlank()) {
            for (String entry : modelProviders.split("[;\\s]+")) {
                if (entry.isBlank()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalStateException("FOLEY_MODEL_PROVIDERS: '" + entry + "' is not model=provider[,provider]");
                }
                String id = entry.substring(0, eq).strip();
                Model m = Models.byId(id).orElseThrow(() -> new IllegalStateException("FOLEY_MODEL_PROVIDERS names an unknown model '" + id + "'"));
                List<String> names = new ArrayList<>();
                for (String n : entry.substring(eq + 1).split(",")) {
                    String name = n.strip().toLowerCase(java.util.Locale.ROOT);
                    if (name.isEmpty()) {
                        continue;
                    }
                    if (!providers.contains(name)) {
                        throw new IllegalStateException("FOLEY_MODEL_PROVIDERS: " + id + " is to be served by " + name
                                + ", which is not configured (FOLEY_PROVIDER and FOLEY_PROVIDER_FALLBACK name " + String.join(", ", providers) + ")");
                    }
                    if (!m.providers().containsKey(name)) {
                        throw new IllegalStateException("FOLEY_MODEL_PROVIDERS: " + name + " does not serve " + id + " (it is served by "
                                + String.join(", ", m.providers().keySet().stream().sorted().toList()) + ")");
                    }
                    names.add(name);
                }
                if (names.isEmpty()) {
                    throw new IllegalStateException("FOLEY_MODEL_PROVIDERS: " + id + " names no provider");
                }
                chosen.put(m.id(), names);
            }
        }
        Catalog c = new Catalog(providers, only, chosen);
        for (String id : only) {
            if (!c.serves(Models.byId(id).orElseThrow())) {
                throw new IllegalStateException("FOLEY_MODELS asks for " + id + " but no configured provider serves it (it is served by "
                        + String.join(", ", Models.byId(id).orElseThrow().providers().keySet().stream().sorted().toList()) + ")");
            }
        }
        return c;
    }

    /** The providers that serve {@code m} here, first to last (empty: not served). */
    public List<String> providersFor(Model m) {
        if (!only.isEmpty() && !only.contains(m.id())) {
            return List.of();
        }
        List<String> c = chosen.get(m.id());
        if (c != null) {
            return c;
        }
        return providers.stream().filter(m.providers()::containsKey).toList();
    }

    /** Whether this deployment serves {@code m}. */
    public boolean serves(Model m) {
        return !providersFor(m).isEmpty();
    }

    /** The models served, in the registry's order. */
    public List<Model> served() {
        return Models.ALL.stream().filter(this::serves).toList();
    }
}
