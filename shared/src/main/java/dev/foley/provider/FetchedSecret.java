package dev.foley.provider;

import java.util.Optional;

/**
 * A provider's webhook signing secret: configured, or fetched from the provider the first time a
 * callback needs it, then kept.
 */
final class FetchedSecret {

    /** Asks the provider for its secret; null or blank when it has none. */
    @FunctionalInterface
    interface Fetch {
        String secret() throws ProviderException;
    }

    private final String provider;
    private final Fetch fetch;
    private volatile String value;

    FetchedSecret(String provider, Optional<String> configured, Fetch fetch) {
        this.provider = provider;
        this.fetch = fetch;
        this.value = configured.orElse(null);
    }

    String get() throws InvalidCallbackException {
        String s = value;
        if (s == null) {
            try {
                s = fetch.secret();
            } catch (ProviderException e) {
                throw new InvalidCallbackException("cannot fetch the " + provider + " webhook secret: " + e.getMessage());
            }
            if (s == null || s.isBlank()) {
                throw new InvalidCallbackException(provider + " returned no webhook secret");
            }
            value = s;
        }
        return s;
    }
}
