package dev.foley.key;

import java.time.Instant;

/**
 * A stored API key. The key itself is never stored: only its SHA-256 ({@code hash}).
 *
 * @param webhookSecret  {@code whsec_} + 32 random bytes (base64): signs this key's webhooks
 * @param webhookScheme  {@code wavespeed} (the hosted API's own) or {@code standard} (Standard Webhooks)
 * @param balanceMicroUsd prepaid balance in micro-dollars, or null for a pay-as-you-go key
 * @param limits         its own request rate and predictions in flight (unset parts: the settings' defaults)
 */
public record ApiKey(String keyId, String name, String hash, Instant createdAt, boolean disabled,
        String webhookSecret, String webhookScheme, Long balanceMicroUsd, KeyLimits limits) {

    public ApiKey {
        limits = limits == null ? KeyLimits.DEFAULTS : limits;
    }

    public static final String WAVESPEED = "wavespeed";
    public static final String STANDARD = "standard";

    public boolean prepaid() {
        return balanceMicroUsd != null;
    }
}
