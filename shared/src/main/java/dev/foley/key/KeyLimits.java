package dev.foley.key;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A key's own limits: requests per window (all of its API calls) and predictions in flight
 * (accepted and not yet finished). A null part means "the default in settings"; {@link #UNLIMITED}
 * parts (0) mean none. As the hosted API's account levels, whose lowest allows 2 tasks at once.
 *
 * @param rate        requests per {@code windowSeconds}, 0 for no limit, null for the default
 * @param windowSeconds the rate's window: 1 (per second) or 60 (per minute)
 * @param maxInFlight predictions at work at once, 0 for no limit, null for the default
 */
public record KeyLimits(Integer rate, int windowSeconds, Integer maxInFlight) {

    public static final KeyLimits DEFAULTS = new KeyLimits(null, 1, null);
    public static final int UNLIMITED = 0;
    private static final Pattern RATE = Pattern.compile("(\\d{1,6})\\s*/\\s*(s|sec|second|m|min|minute)");

    /** These limits, with each part not set taken from {@code defaults}. */
    public KeyLimits orElse(KeyLimits defaults) {
        return new KeyLimits(rate != null ? rate : defaults.rate, rate != null ? windowSeconds : defaults.windowSeconds,
                maxInFlight != null ? maxInFlight : defaults.maxInFlight);
    }

    public boolean limitsRate() {
        return rate != null && rate > 0;
    }

    public boolean limitsInFlight() {
        return maxInFlight != null && maxInFlight > 0;
    }

    /** The rate as written: {@code 5/s}, {@code 300/min}, {@code none}, or {@code default}. */
    public String rateText() {
        return rate == null ? "default" : rate == 0 ? "none" : rate + (windowSeconds == 60 ? "/min" : "/s");
    }

    public String maxInFlightText() {
        return maxInFlight == null ? "default" : maxInFlight == 0 ? "none" : Integer.toString(maxInFlight);
    }

    /** {@code 5/s}, {@code 300/min} or {@code none}: the rate part of a limit; refused with the reason otherwise. */
    public static KeyLimits withRate(KeyLimits base, String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("none") || t.equals("0")) {
            return new KeyLimits(UNLIMITED, 1, base.maxInFlight);
        }
        Matcher m = RATE.matcher(t);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1) {
            throw new IllegalArgumentException("a rate like 5/s or 300/min (or none) is needed, got '" + text + "'");
        }
        return new KeyLimits(Integer.parseInt(m.group(1)), m.group(2).startsWith("s") ? 1 : 60, base.maxInFlight);
    }

    /** A positive number or {@code none}. */
    public static KeyLimits withMaxInFlight(KeyLimits base, String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("none") || t.equals("0")) {
            return new KeyLimits(base.rate, base.windowSeconds, UNLIMITED);
        }
        try {
            int n = Integer.parseInt(t);
            if (n >= 1 && n <= 100_000) {
                return new KeyLimits(base.rate, base.windowSeconds, n);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("a number of predictions from 1 to 100000 (or none) is needed, got '" + text + "'");
    }
}
