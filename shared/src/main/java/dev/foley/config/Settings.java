package dev.foley.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything Foley reads from its environment, read once. The same names are used by the SAM
 * template, local mode and docs/configuration.md.
 *
 * @param table            DynamoDB table ({@code FOLEY_TABLE})
 * @param region           AWS region ({@code AWS_REGION})
 * @param awsEndpoint      one endpoint for every AWS service, e.g. moto or LocalStack
 *                         ({@code AWS_ENDPOINT_URL}); empty means real AWS
 * @param dynamoEndpoint   per-service override ({@code AWS_ENDPOINT_URL_DYNAMODB})
 * @param publicBaseUrl    base of the URLs handed to clients ({@code FOLEY_PUBLIC_BASE_URL});
 *                         empty means derive from the request
 * @param strictUrls       refuse non-public video and webhook URLs ({@code FOLEY_STRICT_URLS})
 * @param dueShards        shards of the {@code due} index ({@code FOLEY_DUE_SHARDS})
 * @param keyCacheTtl      how long a looked-up API key is trusted ({@code FOLEY_KEY_CACHE_SECONDS})
 * @param retention        how long predictions are kept ({@code FOLEY_RETENTION_DAYS})
 * @param callbackBase     base URL providers can reach for push callbacks
 *                         ({@code FOLEY_CALLBACK_BASE_URL}, else {@code FOLEY_PUBLIC_BASE_URL});
 *                         empty means poll only
 * @param s3Endpoint       per-service override ({@code AWS_ENDPOINT_URL_S3})
 * @param outputsBucket    where outputs are copied ({@code FOLEY_OUTPUTS_BUCKET})
 * @param outputsPublicBase serve outputs from this base URL instead of presigned links
 *                         ({@code FOLEY_OUTPUTS_PUBLIC_BASE_URL})
 * @param linkTtl          lifetime of presigned output links ({@code FOLEY_OUTPUT_LINK_TTL_SECONDS}, 7 days)
 * @param microUsdPerSecond price of a second of audio ({@code FOLEY_PRICE_PER_SECOND_USD}, 0.001)
 * @param deadline         a prediction not finished by then fails ({@code FOLEY_DEADLINE_SECONDS}, 900)
 * @param completionFunction the completion Lambda to invoke ({@code FOLEY_COMPLETION_FUNCTION});
 *                         empty in local mode, where completion runs in-process
 * @param uploadsBucket    uploads (tickets, binary uploads) and S3-triggered generation ({@code FOLEY_UPLOADS_BUCKET})
 * @param uploadMaxBytes   the largest upload a ticket allows ({@code FOLEY_UPLOAD_MAX_MB}, 500)
 * @param ingestKeyId      the API key S3-triggered predictions are charged to ({@code INGEST_KEY_ID})
 * @param playgroundDevKey a key the playground pre-fills ({@code FOLEY_PLAYGROUND_DEV_KEY}; local mode only)
 * @param syncWait         how long {@code enable_sync_mode} holds a submit ({@code FOLEY_SYNC_WAIT_SECONDS},
 *                         25; at most 28, under API Gateway's 30 s)
 * @param mediaFunction    the media Lambda to invoke for media work ({@code FOLEY_MEDIA_FUNCTION}); empty in local mode
 * @param windowConcurrency a long prediction's windows at one provider at once ({@code FOLEY_WINDOW_CONCURRENCY}:
 *                         one number for all, or {@code wavespeed=2,fal=4}; defaults below)
 * @param uploadInputs     when a video goes to the provider as a file rather than its URL ({@code FOLEY_UPLOAD_INPUTS}:
 *                         auto, always, never; see {@link dev.foley.provider.InputStaging})
 * @param providerMaxInFlight predictions (and windows) at one provider at once, across all keys
 *                         ({@code FOLEY_PROVIDER_MAX_IN_FLIGHT}: one number for all, or {@code wavespeed=2,fal=8};
 *                         a provider not named has no cap); beyond it predictions wait {@code created}, in order
 * @param keyLimits        every key's limits unless set on the key ({@code FOLEY_KEY_RATE}, e.g. {@code 10/s};
 *                         {@code FOLEY_KEY_MAX_IN_FLIGHT}; unset: none)
 * @param owner            who this process is, on the leases it takes ({@code AWS_LAMBDA_FUNCTION_NAME},
 *                         set by Lambda itself; {@code local} otherwise)
 */
public record Settings(
        String table,
        String region,
        Optional<URI> awsEndpoint,
        Optional<URI> dynamoEndpoint,
        Optional<String> publicBaseUrl,
        boolean strictUrls,
        int dueShards,
        Duration keyCacheTtl,
        Duration retention,
        Optional<String> callbackBase,
        Optional<URI> s3Endpoint,
        String outputsBucket,
        Optional<String> outputsPublicBase,
        Duration linkTtl,
        long microUsdPerSecond,
        Duration deadline,
        Optional<String> completionFunction,
        Duration syncWait,
        String uploadsBucket,
        long uploadMaxBytes,
        Optional<String> ingestKeyId,
        Optional<String> playgroundDevKey,
        Optional<String> mediaFunction,
        Map<String, Integer> windowConcurrency,
        String uploadInputs,
        Map<String, Integer> providerMaxInFlight,
        dev.foley.key.KeyLimits keyLimits,
        String owner) {

    /** Windows in flight per provider unless configured: WaveSpeed's lowest account level allows 2 tasks at once. */
    public static final Map<String, Integer> DEFAULT_WINDOW_CONCURRENCY = Map.of("wavespeed", 2, "fal", 4, "replicate", 4, "local", 4);

    /** How many windows of one long prediction may be at {@code provider} at once. */
    public int windowConcurrencyFor(String provider) {
        return windowConcurrency.getOrDefault(provider, windowConcurrency.getOrDefault("*", 4));
    }

    /** The most predictions {@code provider} may have at work at once; 0 when it has no cap. */
    public int maxInFlightFor(String provider) {
        return providerMaxInFlight.getOrDefault(provider, providerMaxInFlight.getOrDefault("*", 0));
    }

    public static Settings fromEnv(Map<String, String> env) {
        return new Settings(
                env.getOrDefault("FOLEY_TABLE", "foley"),
                env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1")),
                uri(env.get("AWS_ENDPOINT_URL")),
                uri(env.get("AWS_ENDPOINT_URL_DYNAMODB")),
                Optional.ofNullable(blankToNull(env.get("FOLEY_PUBLIC_BASE_URL"))).map(s -> s.replaceAll("/+$", "")),
                !"false".equalsIgnoreCase(env.getOrDefault("FOLEY_STRICT_URLS", "true")),
                positive(env, "FOLEY_DUE_SHARDS", 4),
                Duration.ofSeconds(positive(env, "FOLEY_KEY_CACHE_SECONDS", 60)),
                Duration.ofDays(positive(env, "FOLEY_RETENTION_DAYS", 7)),
                Optional.ofNullable(blankToNull(env.get("FOLEY_CALLBACK_BASE_URL")))
                        .or(() -> Optional.ofNullable(blankToNull(env.get("FOLEY_PUBLIC_BASE_URL"))))
                        .map(s -> s.replaceAll("/+$", "")),
                uri(env.get("AWS_ENDPOINT_URL_S3")),
                env.getOrDefault("FOLEY_OUTPUTS_BUCKET", "foley-outputs"),
                Optional.ofNullable(blankToNull(env.get("FOLEY_OUTPUTS_PUBLIC_BASE_URL"))).map(s -> s.replaceAll("/+$", "")),
                Duration.ofSeconds(Math.min(604_800, positive(env, "FOLEY_OUTPUT_LINK_TTL_SECONDS", 604_800))),
                price(env.get("FOLEY_PRICE_PER_SECOND_USD")),
                Duration.ofSeconds(positive(env, "FOLEY_DEADLINE_SECONDS", 900)),
                Optional.ofNullable(blankToNull(env.get("FOLEY_COMPLETION_FUNCTION"))),
                Duration.ofSeconds(Math.min(26, positive(env, "FOLEY_SYNC_WAIT_SECONDS", 25))),
                env.getOrDefault("FOLEY_UPLOADS_BUCKET", "foley-uploads"),
                positive(env, "FOLEY_UPLOAD_MAX_MB", 500) * 1_000_000L,
                Optional.ofNullable(blankToNull(env.get("INGEST_KEY_ID"))),
                Optional.ofNullable(blankToNull(env.get("FOLEY_PLAYGROUND_DEV_KEY"))),
                Optional.ofNullable(blankToNull(env.get("FOLEY_MEDIA_FUNCTION"))),
                perProvider(env.get("FOLEY_WINDOW_CONCURRENCY"), "FOLEY_WINDOW_CONCURRENCY", DEFAULT_WINDOW_CONCURRENCY, 64),
                uploadInputs(env.get("FOLEY_UPLOAD_INPUTS")),
                perProvider(env.get("FOLEY_PROVIDER_MAX_IN_FLIGHT"), "FOLEY_PROVIDER_MAX_IN_FLIGHT", Map.of(), 10_000),
                keyLimits(env.get("FOLEY_KEY_RATE"), env.get("FOLEY_KEY_MAX_IN_FLIGHT")),
                Optional.ofNullable(blankToNull(env.get("AWS_LAMBDA_FUNCTION_NAME"))).orElse("local"));
    }

    private static dev.foley.key.KeyLimits keyLimits(String rate, String maxInFlight) {
        var l = new dev.foley.key.KeyLimits(0, 1, 0);
        try {
            if (rate != null && !rate.isBlank()) {
                l = dev.foley.key.KeyLimits.withRate(l, rate);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("FOLEY_KEY_RATE: " + e.getMessage());
        }
        try {
            if (maxInFlight != null && !maxInFlight.isBlank()) {
                l = dev.foley.key.KeyLimits.withMaxInFlight(l, maxInFlight);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("FOLEY_KEY_MAX_IN_FLIGHT: " + e.getMessage());
        }
        return l;
    }

    private static String uploadInputs(String v) {
        String mode = v == null || v.isBlank() ? "auto" : v.strip().toLowerCase(java.util.Locale.ROOT);
        if (!java.util.Set.of("auto", "always", "never").contains(mode)) {
            throw new IllegalStateException("FOLEY_UPLOAD_INPUTS must be auto, always or never, got '" + v + "'");
        }
        return mode;
    }

    /** One number for every provider, or {@code provider=n} pairs, each 1 to {@code max}, on top of {@code defaults}. */
    private static Map<String, Integer> perProvider(String v, String name, Map<String, Integer> defaults, int max) {
        Map<String, Integer> out = new java.util.HashMap<>(defaults);
        if (v == null || v.isBlank()) {
            return Map.copyOf(out);
        }
        String bad = name + " must be a number from 1 to " + max + ", or provider=number pairs such as wavespeed=2,fal=4; got '" + v + "'";
        for (String part : v.split(",")) {
            String[] kv = part.trim().split("=", 2);
            try {
                int n = Integer.parseInt(kv[kv.length - 1].trim());
                if (n < 1 || n > max) {
                    throw new IllegalStateException(bad);
                }
                if (kv.length == 1) {
                    out.replaceAll((k, old) -> n);
                    out.put("*", n);
                } else {
                    out.put(kv[0].trim().toLowerCase(java.util.Locale.ROOT), n);
                }
            } catch (NumberFormatException e) {
                throw new IllegalStateException(bad);
            }
        }
        return Map.copyOf(out);
    }

    private static long price(String v) {
        if (v == null || v.isBlank()) {
            return 1000;
        }
        try {
            java.math.BigDecimal usd = new java.math.BigDecimal(v.strip());
            if (usd.signum() < 0) {
                throw new NumberFormatException();
            }
            return usd.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalStateException("FOLEY_PRICE_PER_SECOND_USD must be a non-negative number of dollars, got '" + v + "'");
        }
    }

    public Optional<URI> endpointFor(Optional<URI> serviceSpecific) {
        return serviceSpecific.or(() -> awsEndpoint);
    }

    private static Optional<URI> uri(String v) {
        return Optional.ofNullable(blankToNull(v)).map(URI::create);
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static int positive(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalStateException(name + " must be a positive integer, got '" + v + "'");
        }
    }
}
