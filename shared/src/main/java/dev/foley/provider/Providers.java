package dev.foley.provider;

import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds the {@link ProviderChain} from the environment (the same names in Lambda, local mode and
 * docs/providers.md): {@code FOLEY_PROVIDER}, {@code FOLEY_PROVIDER_FALLBACK}, and each provider's key and
 * base URL. A chosen provider without its key fails here, at start-up, with a clear message.
 */
public final class Providers {

    public static final Set<String> NAMES = Set.of(WaveSpeedProvider.NAME, FalProvider.NAME, ReplicateProvider.NAME, "local");

    private Providers() {
    }

    /**
     * @param extras providers only some runtimes have ({@code local}, in local mode)
     */
    public static ProviderChain fromEnv(Map<String, String> env, Map<String, Supplier<InferenceProvider>> extras,
            ProviderHttp http, ProviderHttp.Policies policies, Clock clock) {
        Set<String> names = new LinkedHashSet<>();
        names.add(value(env, "FOLEY_PROVIDER").orElse("local").toLowerCase(Locale.ROOT));
        value(env, "FOLEY_PROVIDER_FALLBACK").ifPresent(v -> {
            for (String n : v.split("[,\\s]+")) {
                if (!n.isBlank()) {
                    names.add(n.strip().toLowerCase(Locale.ROOT));
                }
            }
        });
        List<InferenceProvider> chain = new ArrayList<>();
        for (String name : names) {
            chain.add(build(name, env, extras, http, policies, clock));
        }
        return new ProviderChain(chain, dev.foley.model.Catalog.fromEnv(List.copyOf(names), env.get("FOLEY_MODELS"),
                env.get("FOLEY_MODEL_PROVIDERS")));
    }

    private static InferenceProvider build(String name, Map<String, String> env, Map<String, Supplier<InferenceProvider>> extras,
            ProviderHttp http, ProviderHttp.Policies policies, Clock clock) {
        if (extras.containsKey(name)) {
            return extras.get(name).get();
        }
        return switch (name) {
            case WaveSpeedProvider.NAME -> new WaveSpeedProvider(
                    uri(env, "WAVESPEED_BASE_URL", WaveSpeedProvider.DEFAULT_BASE),
                    required(env, "WAVESPEED_API_KEY", name), value(env, "WAVESPEED_WEBHOOK_SECRET"), http, policies, clock);
            case FalProvider.NAME -> new FalProvider(
                    uri(env, "FAL_BASE_URL", FalProvider.DEFAULT_BASE),
                    // fal's storage host; an emulator or proxy named by FAL_BASE_URL (other than fal's own queue) serves both
                    uri(env, "FAL_REST_BASE_URL", uri(env, "FAL_BASE_URL", FalProvider.DEFAULT_BASE).equals(FalProvider.DEFAULT_BASE)
                            ? FalProvider.DEFAULT_REST : uri(env, "FAL_BASE_URL", FalProvider.DEFAULT_BASE)),
                    required(env, "FAL_KEY", name),
                    uri(env, "FAL_JWKS_URL", FalProvider.DEFAULT_JWKS), http, policies, clock);
            case ReplicateProvider.NAME -> new ReplicateProvider(
                    uri(env, "REPLICATE_BASE_URL", ReplicateProvider.DEFAULT_BASE),
                    required(env, "REPLICATE_API_TOKEN", name),
                    value(env, "REPLICATE_MODEL").orElse(ReplicateProvider.DEFAULT_MODEL),
                    value(env, "REPLICATE_MODEL_VERSION"), value(env, "REPLICATE_WEBHOOK_SECRET"), http, policies);
            case "local" -> throw new IllegalStateException(
                    "FOLEY_PROVIDER=local is the offline generator of local mode (./foley serve); "
                            + "a deployed stack needs wavespeed, fal or replicate");
            default -> throw new IllegalStateException("unknown provider '" + name + "' in FOLEY_PROVIDER/FOLEY_PROVIDER_FALLBACK; "
                    + "choose from wavespeed, fal, replicate, local");
        };
    }

    private static String required(Map<String, String> env, String var, String provider) {
        return value(env, var).orElseThrow(() -> new IllegalStateException(
                "provider " + provider + " is configured but " + var + " is not set"));
    }

    private static URI uri(Map<String, String> env, String var, URI dflt) {
        Optional<String> v = value(env, var);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            URI u = URI.create(v.get());
            if (u.getScheme() == null || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(var + " must be an http(s) URL, got '" + v.get() + "'");
        }
    }

    private static Optional<String> value(Map<String, String> env, String var) {
        String v = env.get(var);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }
}
