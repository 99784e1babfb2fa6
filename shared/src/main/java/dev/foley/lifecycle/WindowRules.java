package dev.foley.lifecycle;

import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Windows;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * What a long prediction does next, from its windows as stored: a pure function (no I/O), so the
 * rules are tested without a table or a provider. Windows are started in order, at most
 * {@link Windows#concurrency()} at the provider at once (a window whose job is done frees its slot
 * while its output is copied); a window that fails is tried once more;
 * one that fails again fails the prediction.
 */
public final class WindowRules {

    /** How often one window is tried before the prediction fails. */
    public static final int MAX_ATTEMPTS = 2;

    private WindowRules() {
    }

    /** A window to store and start: its index, and which attempt (0 the first). */
    public record Start(int index, int attempt) {
        /** Its id, beside the parent's: {@code <parent>_<index>[.<attempt>]}. */
        public String idIn(String parentId) {
            return parentId + Prediction.WINDOW_MARK + index + (attempt == 0 ? "" : "." + attempt);
        }
    }

    public sealed interface Gathered {
        /** Every window is done: their audio (output keys, in window order) is ready to be joined. */
        record AllDone(List<String> audio, long inferenceMs) implements Gathered {
        }

        /** A window failed for good: the prediction fails with this reason (never charged). */
        record Fail(String reason) implements Gathered {
        }

        /** Still at work: {@code done} finished; these to start now. */
        record Going(int done, List<Start> start) implements Gathered {
        }
    }

    /** The index and attempt of a window's id. */
    public static Start startOf(String windowId) {
        String rest = windowId.substring(windowId.indexOf(Prediction.WINDOW_MARK) + 1);
        int dot = rest.indexOf('.');
        return dot < 0 ? new Start(Integer.parseInt(rest), 0)
                : new Start(Integer.parseInt(rest.substring(0, dot)), Integer.parseInt(rest.substring(dot + 1)));
    }

    public static Gathered gather(Windows plan, List<Windows.Window> cut, List<Prediction> stored) {
        return gather(plan, cut, stored, i -> {
            Windows.Window cw = cut.get(i);
            return String.format(Locale.ROOT, "window %d of %d (%.1f–%.1f s)", i + 1, plan.total(), cw.start(), cw.end());
        });
    }

    /** The same, with each child named by {@code name} in a failure's reason ("window 3 of 9 (…)", "take 2 of 3"). */
    public static Gathered gather(Windows plan, List<Windows.Window> cut, List<Prediction> stored, IntFunction<String> name) {
        Map<Integer, Prediction> latest = new TreeMap<>();
        for (Prediction w : stored) {
            Start s = startOf(w.id());
            Prediction seen = latest.get(s.index());
            if (seen == null || startOf(seen.id()).attempt() < s.attempt()) {
                latest.put(s.index(), w);
            }
        }
        int done = 0;
        int inFlight = 0;
        long inference = 0;
        List<Start> start = new ArrayList<>();
        List<String> audio = new ArrayList<>();
        for (Prediction w : latest.values()) {
            Start s = startOf(w.id());
            if (w.phase() == Phase.COMPLETED) {
                done++;
                inference += w.inferenceMs();
            } else if (w.phase() == Phase.FAILED || w.phase() == Phase.CANCELLED) {
                if (s.attempt() + 1 >= MAX_ATTEMPTS) {
                    return new Gathered.Fail(String.format(Locale.ROOT, "%s failed %d times: %s",
                            name.apply(s.index()), MAX_ATTEMPTS, w.error()));
                }
                start.add(new Start(s.index(), s.attempt() + 1)); // a retry goes first: the join waits for it
                inFlight++;
            } else if (w.phase() != Phase.UPSTREAM_DONE) {
                inFlight++; // accepted or submitted: holding one of the provider's slots
            }
            // upstream done: the provider's part is over (its output is being copied), its slot is free
        }
        if (done == plan.total()) {
            for (Prediction w : latest.values()) {
                audio.add(w.outputKeys().isEmpty() ? "" : w.outputKeys().get(0));
            }
            return new Gathered.AllDone(audio, inference);
        }
        for (int i = 0; i < plan.total() && inFlight < plan.concurrency(); i++) {
            if (!latest.containsKey(i)) {
                start.add(new Start(i, 0));
                inFlight++;
            }
        }
        return new Gathered.Going(done, start);
    }

    /** A long prediction may take its deadline once per round of windows at the provider, plus one (cutting, joining). */
    public static Instant deadlineOf(Prediction p, java.time.Duration deadline) {
        Windows w = p.windows();
        int rounds = w == null ? 1 : 1 + (w.total() + w.concurrency() - 1) / Math.max(1, w.concurrency());
        return p.createdAt().plus(deadline.multipliedBy(rounds));
    }
}
