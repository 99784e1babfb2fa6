package dev.foley.prediction;

import java.util.UUID;

/** The one source of prediction ids: 32 lower-case hex characters, 122 random bits. */
@FunctionalInterface
public interface IdGenerator {

    String next();

    /** Random ids from {@link UUID#randomUUID()} (SecureRandom, re-seeded after a SnapStart restore). */
    static IdGenerator random() {
        return () -> UUID.randomUUID().toString().replace("-", "");
    }

    static boolean looksLikeId(String s) {
        if (s == null || s.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** A prediction's id, or one of its windows' ({@code <id>_<n>} or {@code <id>_<n>.<attempt>}): what internal calls may name. */
    static boolean looksLikeWorkId(String s) {
        if (s == null || s.length() < 32) {
            return false;
        }
        return looksLikeId(s.substring(0, 32)) && (s.length() == 32 || s.substring(32).matches("_[0-9]{1,3}(\\.[0-9])?"));
    }
}
