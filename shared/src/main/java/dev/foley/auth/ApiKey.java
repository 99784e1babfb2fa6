package dev.foley.auth;

import java.time.Instant;

/** A stored API key. The key itself is never stored: only its SHA-256 ({@code hash}). */
public record ApiKey(String keyId, String name, String hash, Instant createdAt, boolean disabled) {
}
