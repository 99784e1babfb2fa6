package dev.foley.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.key.ApiKey;
import dev.foley.json.Json;
import dev.foley.prediction.FieldError;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.UsageStore;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The key's own account: webhook signing secret, usage per day, prepaid balance. */
public final class AccountRoutes {

    static final int MAX_DAYS = 366;

    private final ApiKeyStore keys;
    private final UsageStore usage;
    private final Clock clock;
    private final long microUsdPerSecond;

    public AccountRoutes(ApiKeyStore keys, UsageStore usage, Clock clock, long microUsdPerSecond) {
        this.keys = keys;
        this.usage = usage;
        this.clock = clock;
        this.microUsdPerSecond = microUsdPerSecond;
    }

    /** As on the hosted API: the secret webhooks to this key's clients are signed with. */
    ApiResponse webhookSecret(ApiKey key) {
        ApiKey k = keys.withWebhookSecret(key);
        ObjectNode d = Json.object();
        d.put("secret", k.webhookSecret());
        d.put("scheme", k.webhookScheme());
        ApiResponse r = FoleyApi.ok(d);
        // A secret: no cache, shared or private, keeps a copy.
        return new ApiResponse(r.status(), Map.of("content-type", "application/json", "cache-control", "no-store"), r.body());
    }

    /** {@code GET /api/v3/usage?from=&to=}: per day, predictions, seconds and cost (UTC days, both ends included). */
    ApiResponse usage(ApiRequest req, ApiKey key) throws ApiException {
        Map<String, String> q = QueryString.parse(req.rawQuery());
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        List<FieldError> errors = new ArrayList<>();
        LocalDate to = date(q.get("to"), today, "to", errors);
        LocalDate from = date(q.get("from"), to.minusDays(29), "from", errors);
        if (errors.isEmpty() && from.isAfter(to)) {
            errors.add(new FieldError("from", "must not be after to"));
        }
        if (errors.isEmpty() && ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
            errors.add(new FieldError("from", "the range must be at most " + MAX_DAYS + " days"));
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        ObjectNode d = Json.object();
        d.put("from", from.toString());
        d.put("to", to.toString());
        ArrayNode days = d.putArray("days");
        long predictions = 0;
        long seconds = 0;
        long micro = 0;
        for (UsageStore.Day day : usage.range(key.keyId(), from, to)) {
            days.addObject().put("date", day.day().toString()).put("predictions", day.predictions())
                    .put("seconds", day.seconds()).put("cost_usd", day.microUsd() / 1e6);
            predictions += day.predictions();
            seconds += day.seconds();
            micro += day.microUsd();
        }
        d.putObject("total").put("predictions", predictions).put("seconds", seconds).put("cost_usd", micro / 1e6);
        d.put("price_per_second_usd", microUsdPerSecond / 1e6);
        return FoleyApi.ok(d);
    }

    ApiResponse balance(ApiKey key) {
        ObjectNode d = Json.object();
        var fresh = keys.findByHash(key.hash()).orElse(key); // not the cached copy: the balance moves
        // data.balance as the hosted API answers it (dollars); Foley's own fields beside it.
        if (fresh.prepaid()) {
            d.put("balance", fresh.balanceMicroUsd() / 1e6);
        } else {
            d.putNull("balance"); // a pay-as-you-go key has no balance to run out of
        }
        d.put("prepaid", fresh.prepaid());
        if (fresh.prepaid()) {
            d.put("balance_usd", fresh.balanceMicroUsd() / 1e6);
        } else {
            d.putNull("balance_usd");
        }
        d.put("price_per_second_usd", microUsdPerSecond / 1e6);
        return FoleyApi.ok(d);
    }

    private static LocalDate date(String v, LocalDate dflt, String name, List<FieldError> errors) {
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return LocalDate.parse(v);
        } catch (DateTimeParseException e) {
            errors.add(new FieldError(name, "must be a date like 2026-11-26, got " + FoleyApi.shorten(v, 20)));
            return dflt;
        }
    }
}
