package dev.foley.api;

import dev.foley.store.ApiKeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import dev.foley.key.ApiKey;
import dev.foley.key.KeyMaterial;

/**
 * Turns an {@code Authorization: Bearer <key>} header into the {@link ApiKey} it names. Found keys
 * are cached in-process for a short time (a disabled key stops working within that time);
 * unknown keys are not cached, so a new key works at once.
 */
public final class KeyAuthenticator {

    /** Why a request is not authenticated; the message is meant for the client. */
    public static final class Unauthenticated extends Exception {
        public Unauthenticated(String message) {
            super(message, null, false, false);
        }
    }

    private record Cached(ApiKey key, Instant until) {
    }

    private static final int MAX_CACHED = 10_000;

    private final ApiKeyStore keys;
    private final Clock clock;
    private final Duration ttl;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    private dev.foley.key.KeyLimits defaults = dev.foley.key.KeyLimits.DEFAULTS;

    /** Every key's limits unless the key sets its own ({@code FOLEY_KEY_RATE}, {@code FOLEY_KEY_MAX_IN_FLIGHT}). */
    public KeyAuthenticator withDefaultLimits(dev.foley.key.KeyLimits limits) {
        this.defaults = limits;
        return this;
    }

    /** A request over its key's rate: the rate it broke and how long until it may ask again. */
    public record OverRate(dev.foley.key.KeyLimits limits, Duration retryIn) {
    }

    /** Counts one request against {@code key}'s rate (nothing when it has none). */
    public java.util.Optional<OverRate> overRate(dev.foley.key.ApiKey key) {
        var l = key.limits().orElse(defaults);
        return l.limitsRate() ? keys.takeRequest(key, l).map(w -> new OverRate(l, w)) : java.util.Optional.empty();
    }

    public KeyAuthenticator(ApiKeyStore keys, Clock clock, Duration ttl) {
        this.keys = keys;
        this.clock = clock;
        this.ttl = ttl;
    }

    public ApiKey authenticate(String authorization) throws Unauthenticated {
        if (authorization == null || authorization.isBlank()) {
            throw new Unauthenticated("missing API key: send the header Authorization: Bearer <key>");
        }
        String h = authorization.strip();
        if (h.length() < 7 || !h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            throw new Unauthenticated("Authorization must be 'Bearer <key>'");
        }
        String plain = h.substring(7).strip();
        if (plain.isEmpty() || plain.length() > 256) {
            throw new Unauthenticated("invalid API key");
        }
        String hash = KeyMaterial.sha256Hex(plain);
        Instant now = clock.instant();
        Cached c = cache.get(hash);
        ApiKey key;
        if (c != null && now.isBefore(c.until())) {
            key = c.key();
        } else {
            Optional<ApiKey> found = keys.findByHash(hash);
            if (found.isEmpty()) {
                cache.remove(hash);
                throw new Unauthenticated("invalid API key");
            }
            key = found.get();
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(hash, new Cached(key, now.plus(ttl)));
        }
        if (key.disabled()) {
            throw new Unauthenticated("API key " + key.keyId() + " is disabled");
        }
        return key;
    }
}
