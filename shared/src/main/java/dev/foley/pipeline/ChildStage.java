package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle;
import dev.foley.lifecycle.WindowRules;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Windows;
import dev.foley.provider.ProviderChain;
import dev.foley.store.PredictionStore;
import dev.foley.store.PredictionStore.Step;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * The children stage: a prediction whose work is its children (a long video's windows, a
 * request's takes, a window's takes), each a short prediction of its own. Plans them (takes at
 * once; windows once the media function has cut the video), starts the next ones as the
 * provider's concurrency allows, tries a failed one again once, hands the whole to the join when
 * all are done, wakes the parent when a child moves, stops the children of a parent that ended.
 * Which children there are and how they are named is {@link Children}'s (pure); what the
 * windows' state means is {@link WindowRules#gather} (pure).
 */
final class ChildStage {

    /** Ends a prediction without a result (the pipeline's one way to fail or cancel). */
    interface Finisher {
        Optional<Prediction> finish(Prediction p, Phase to, String reason, boolean jobEnded, List<String> lines);
    }

    private final PredictionStore store;
    private final Clock clock;
    private final String owner;
    private final Lifecycle lifecycle;
    private final ProviderChain providers;
    private final ToIntFunction<String> windowConcurrency;
    private final Pipeline.CompletionTrigger completion;
    private final Pipeline.CompletionTrigger mediaTrigger;
    private final Finisher finisher;
    private final BiFunction<Prediction, List<String>, Prediction> lost;
    private final Consumer<Prediction> handOffIfOwed;

    ChildStage(PredictionStore store, Clock clock, String owner, Lifecycle lifecycle, ProviderChain providers,
            ToIntFunction<String> windowConcurrency, Pipeline.CompletionTrigger completion, Pipeline.CompletionTrigger mediaTrigger,
            Finisher finisher, BiFunction<Prediction, List<String>, Prediction> lost, Consumer<Prediction> handOffIfOwed) {
        this.store = store;
        this.clock = clock;
        this.owner = owner;
        this.lifecycle = lifecycle;
        this.providers = providers;
        this.windowConcurrency = windowConcurrency;
        this.completion = completion;
        this.mediaTrigger = mediaTrigger;
        this.finisher = finisher;
        this.lost = lost;
        this.handOffIfOwed = handOffIfOwed;
    }

    /** A seed for a take asked without one: random, as the provider's own would be. */
    private static final java.util.function.IntSupplier RANDOM_SEED = () -> java.util.concurrent.ThreadLocalRandom.current().nextInt(65536);

    /**
     * Accepted prediction with takes: its plan is N children (as a long video's windows), each the
     * whole request with a seed of its own, at most the provider's window concurrency at once; no
     * media work comes first. The parent's claim makes the plan once.
     */
    Prediction planTakes(Prediction p) {
        Optional<Prediction> claimedOpt = store.moves().claim(p, Step.MEDIA, owner, clock.instant().plus(Lifecycle.SUBMIT_LEASE), false);
        if (claimedOpt.isEmpty()) {
            return p;
        }
        Prediction claimed = claimedOpt.get();
        int n = claimed.request().media().samples();
        var w = new Windows(claimed.request().duration(), n, 0, windowConcurrency.applyAsInt(providers.primary().name()));
        List<String> lines = List.of(n + " takes, " + w.concurrency() + " at a time");
        Optional<Prediction> planned = store.moves().recordCut(claimed, w, clock.instant(), lines);
        planned.ifPresent(x -> completion.trigger(x.id())); // start the takes now, not at the poller's next look
        return planned.orElseGet(() -> lost.apply(claimed, lines));
    }

    /** The video is cut: its windows (and their takes) recorded, to start. */
    Prediction cutDone(Prediction claimed, MediaWork.Cut cut) {
        var o = claimed.request().media();
        double seconds = cut.seconds();
        int windows = Windows.planFor(claimed.request(), seconds, cut.cuts()).size();
        int takes = claimed.takesPerWindow();
        var w = new Windows(seconds, windows * takes, 0, windowConcurrency.applyAsInt(providers.primary().name()), cut.cuts());
        String shots = !o.sceneCuts() ? "" : cut.cuts().isEmpty() ? ", one shot" : String.format(Locale.ROOT, ", %d shots (cuts at %s s)",
                cut.cuts().size() + 1, String.join(", ", cut.cuts().stream().map(c -> String.format(Locale.ROOT, "%.2f", c)).toList()));
        String segments = o.segments().isEmpty() ? "" : ", " + o.segments().size() + " segments";
        List<String> lines = List.of(String.format(Locale.ROOT, "cut %.2f s of video into %d windows of up to %d s (overlap %.1f s)%s%s%s, %d at a time",
                seconds, windows, o.windowSeconds(), o.overlapSeconds(), shots, segments, takes > 1 ? ", " + takes + " takes of each" : "",
                w.concurrency()));
        return store.moves().recordCut(claimed, w, clock.instant(), lines).orElseGet(() -> lost.apply(claimed, lines));
    }

    /**
     * A long prediction at work: look at its windows, start the next ones (up to the provider's
     * concurrency), retry a failed one once; all done: on to the join. Windows are table items made
     * with a conditional put, so racing steps start each one once; the provider submit is each
     * window's own claimed step.
     */
    Prediction gather(Prediction p) {
        var plan = p.windows();
        var cut = Children.of(p);
        List<Prediction> windows = store.windowsOf(p.id());
        Instant now = clock.instant();
        return switch (WindowRules.gather(plan, cut, windows, i -> Children.name(p, cut, i))) {
            case WindowRules.Gathered.Fail f -> finisher.finish(p, Phase.FAILED, f.reason(), false,
                    List.of(f.reason())).orElseGet(() -> store.get(p.id()).orElse(p));
            case WindowRules.Gathered.AllDone d -> {
                Optional<Prediction> moved = store.moves().markUpstreamDone(p, d.audio(), List.of(false), d.inferenceMs(),
                        now.plus(Lifecycle.MEDIA_HANDOVER));
                moved.ifPresent(m -> mediaTrigger.trigger(m.id()));
                yield moved.orElseGet(() -> store.get(p.id()).orElse(p));
            }
            case WindowRules.Gathered.Going g -> {
                List<String> started = new ArrayList<>();
                for (var st : g.start()) {
                    var win = cut.get(st.index());
                    Prediction child = Children.child(p, st, win, now, RANDOM_SEED);
                    if (store.createWindow(child)) {
                        started.add(child.id());
                        completion.trigger(child.id());
                    }
                }
                List<String> lines = started.isEmpty() ? List.of()
                        : List.of("started window" + (started.size() > 1 ? "s " : " ") + String.join(", ", started.stream()
                                .map(id -> id.substring(id.indexOf(Prediction.WINDOW_MARK) + 1)).toList()));
                yield store.moves().recordProgress(p, g.done(), lifecycle.nextCheck(p, now), lines).orElseGet(() -> store.get(p.id()).orElse(p));
            }
        };
    }

    /** A window moved (done, failed): its parent looks at its windows now rather than at its next check. */
    void wakeParent(Prediction window) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Prediction> parent = store.get(window.parentId());
            if (parent.isEmpty() || parent.get().phase() != Phase.SUBMITTED) {
                return;
            }
            if (store.moves().reschedule(parent.get(), clock.instant()).isPresent()) {
                completion.trigger(parent.get().id());
                return;
            }
        }
    }

    /** Stops a finished long prediction's windows that are still at work (their jobs are then cancelled like any other's). */
    void stopWindows(Prediction parent, Phase to) {
        for (Prediction w : store.windowsOf(parent.id())) {
            if (!w.phase().terminal()) {
                finisher.finish(w, Phase.CANCELLED, "the prediction " + (to == Phase.CANCELLED ? "was cancelled" : "failed"), false, List.of())
                        .ifPresent(handOffIfOwed);
            }
        }
    }
}
