package dev.foley.net;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which user-supplied URLs (video, webhook) Foley will accept. Always: http(s), a host, no
 * credentials, no fragment tricks. In strict mode (the default everywhere but local mode) also no
 * loopback, private, link-local, metadata or otherwise non-public literal address and no
 * {@code localhost}; names are checked again, resolved, at fetch time.
 */
public final class UrlPolicy {

    public static final int MAX_LENGTH = 2048;
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    // Forms such as 2130706433, 0x7f.1 or 127.1 are IP addresses to some resolvers: refuse them.
    private static final Pattern NUMERIC_HOST = Pattern.compile("(0x[0-9a-f]+|\\d+)(\\.(0x[0-9a-f]+|\\d+))*");

    private final boolean strict;
    /** Links Foley made itself (its uploads bucket's presigned GETs): accepted as videos even when strict. */
    private final java.util.function.Predicate<String> own;

    public UrlPolicy(boolean strict) {
        this(strict, url -> false);
    }

    public UrlPolicy(boolean strict, java.util.function.Predicate<String> own) {
        this.strict = strict;
        this.own = own;
    }

    /**
     * The links under {@code base} (scheme, authority and path prefix, e.g. a bucket's), without a
     * {@code ..} segment: what {@link #checkVideo} accepts as Foley's own.
     */
    public static java.util.function.Predicate<String> under(String base) {
        return under(() -> base);
    }

    /** The same, {@code base} asked for on first use (the uploads bucket's link base is presigned: not at start-up). */
    public static java.util.function.Predicate<String> under(java.util.function.Supplier<String> base) {
        java.util.function.Supplier<String> once = new java.util.function.Supplier<>() {
            private volatile String value;

            @Override
            public String get() {
                String v = value;
                if (v == null) {
                    v = base.get();
                    value = v;
                }
                return v;
            }
        };
        return url -> url.startsWith(once.get()) && !url.contains("/../") && !url.contains("/./") && !url.contains("%2e")
                && !url.contains("%2E");
    }

    /** A video URL: as {@link #check}, but a link into Foley's own uploads passes even when strict (the ticket endpoint's). */
    public Optional<String> checkVideo(String url) {
        Optional<String> reason = check(url);
        return reason.isPresent() && strict && own.test(url) && new UrlPolicy(false).check(url).isEmpty() ? Optional.empty() : reason;
    }

    public boolean strict() {
        return strict;
    }

    /** Empty when acceptable, else the reason, written for the client. */
    public Optional<String> check(String url) {
        if (url.isBlank()) {
            return Optional.of("must be an http(s) URL, got an empty string");
        }
        if (url.length() > MAX_LENGTH) {
            return Optional.of("must be at most " + MAX_LENGTH + " characters, got " + url.length());
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("must be an http(s) URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("must be an http(s) URL");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return Optional.of("must be an http(s) URL with a host name");
        }
        if (uri.getRawUserInfo() != null) {
            return Optional.of("must not contain credentials");
        }
        if (!strict) {
            return Optional.empty();
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.equals("localhost") || h.endsWith(".localhost") || h.endsWith(".internal") || h.endsWith(".local")) {
            return Optional.of("must point to a public address, not " + host);
        }
        if (h.startsWith("[")) {
            return addressReason(h.substring(1, h.length() - 1), host);
        }
        if (DOTTED_QUAD.matcher(h).matches()) {
            return addressReason(h, host);
        }
        if (NUMERIC_HOST.matcher(h).matches()) {
            return Optional.of("must not use an ambiguous numeric host, got " + host);
        }
        return Optional.empty();
    }

    private static Optional<String> addressReason(String literal, String host) {
        try {
            InetAddress a = InetAddress.getByName(literal); // a literal: no DNS look-up
            return isPublic(a) ? Optional.empty()
                    : Optional.of("must point to a public address, not " + host);
        } catch (UnknownHostException e) {
            return Optional.of("must be an http(s) URL with a valid host, got " + host);
        }
    }

    /**
     * True for a globally routable unicast address. Covers loopback, RFC 1918, link-local
     * (cloud metadata), CGNAT, benchmarking, documentation, multicast, reserved, IPv6 unique-local,
     * and IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4, Teredo).
     */
    public static boolean isPublic(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return isPublicV4(b);
        }
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress()
                || a.isSiteLocalAddress() || a.isMulticastAddress()) {
            return false;
        }
        int b0 = b[0] & 0xff;
        int b1 = b[1] & 0xff;
        if ((b0 & 0xfe) == 0xfc) { // fc00::/7 unique local
            return false;
        }
        if (allZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) { // ::ffff:a.b.c.d
            return isPublicV4(slice(b, 12));
        }
        if (allZero(b, 0, 12)) { // ::a.b.c.d (deprecated compatible form) and ::, ::1
            return false;
        }
        if (b0 == 0x00 && b1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) { // 64:ff9b::/96 NAT64
            return isPublicV4(slice(b, 12));
        }
        if (b0 == 0x20 && b1 == 0x02) { // 2002::/16 6to4
            return isPublicV4(slice(b, 2));
        }
        if (b0 == 0x20 && b1 == 0x01 && b[2] == 0 && b[3] == 0) { // 2001::/32 Teredo
            return false;
        }
        if (b0 == 0x20 && b1 == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) { // documentation
            return false;
        }
        return (b0 & 0xe0) == 0x20; // 2000::/3 global unicast
    }

    private static boolean isPublicV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        return !(a0 == 0 || a0 == 10 || a0 == 127
                || (a0 == 100 && a1 >= 64 && a1 <= 127) // CGNAT
                || (a0 == 169 && a1 == 254) // link-local, cloud metadata
                || (a0 == 172 && a1 >= 16 && a1 <= 31)
                || (a0 == 192 && a1 == 0 && a2 == 0)
                || (a0 == 192 && a1 == 0 && a2 == 2)
                || (a0 == 192 && a1 == 88 && a2 == 99)
                || (a0 == 192 && a1 == 168)
                || (a0 == 198 && (a1 == 18 || a1 == 19))
                || (a0 == 198 && a1 == 51 && a2 == 100)
                || (a0 == 203 && a1 == 0 && a2 == 113)
                || a0 >= 224);
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] slice(byte[] b, int from) {
        return new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]};
    }
}
