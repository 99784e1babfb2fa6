package dev.foley.lifecycle;

import java.time.Duration;

/** Durations as people read them: {@code 15 minutes}, {@code 2 min 30 s}, {@code 45 s}. */
public final class Durations {

    private Durations() {
    }

    public static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + (s == 1 ? " second" : " seconds");
        }
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        if (h == 0 && sec == 0) {
            return m + (m == 1 ? " minute" : " minutes");
        }
        if (h > 0 && m == 0 && sec == 0) {
            return h + (h == 1 ? " hour" : " hours");
        }
        StringBuilder b = new StringBuilder();
        if (h > 0) {
            b.append(h).append(" h ");
        }
        if (m > 0 || h > 0) {
            b.append(m).append(" min");
        }
        if (sec > 0) {
            b.append(" ").append(sec).append(" s");
        }
        return b.toString().strip();
    }
}
