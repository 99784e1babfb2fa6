package dev.foley.lifecycle;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.Jobs;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What comes after an effect (a round of cancels, a webhook attempt, a round of notifications), without I/O. */
class EffectRulesTest {

    static final Instant T0 = LifecycleTest.T0;
    static final ProviderJob WINNER = ProviderJob.of("wavespeed", "j1");
    static final ProviderJob ORPHAN = ProviderJob.of("wavespeed", "j0");

    @Test
    void aRoundOfCancelsThatFailedWaitsItsBackOffAndOneThatStoppedEverythingClearsIt() {
        Prediction failed = LifecycleTest.at(Phase.FAILED).jobs(new Jobs(WINNER, Set.of(ORPHAN), Set.of(), 0)).build();
        Instant now = T0.plusSeconds(100);
        var round = EffectRules.afterStopRound(failed, Set.of(WINNER.key()), 1, null, now);
        assertEquals(1, round.jobs().stopAttempts());
        assertEquals(Lifecycle.stopRetry(1, now), round.jobs().stopDueAt(), "the orphan's cancel failed: its next round");
        assertEquals(Lifecycle.stopRetry(1, now), round.due(), "a finished prediction is due for what it owes: the next round");
        var done = EffectRules.afterStopRound(failed, Set.of(WINNER.key(), ORPHAN.key()), 0, null, now);
        assertEquals(0, done.jobs().stopAttempts());
        assertNull(done.jobs().stopDueAt());
        assertNull(done.due(), "nothing more is owed");
    }

    @Test
    void aPredictionStillAtWorkGoesBackToItsOwnStepUnlessTheNextRoundComesFirst() {
        Prediction working = LifecycleTest.at(Phase.SUBMITTED).jobs(new Jobs(WINNER, Set.of(ORPHAN), Set.of(), 0)).build();
        Instant now = T0.plusSeconds(100);
        var soon = EffectRules.afterStopRound(working, Set.of(), 1, now.plusSeconds(2), now);
        assertEquals(now.plusSeconds(2), soon.due(), "its check, due before the next round of cancels");
        var late = EffectRules.afterStopRound(working, Set.of(), 1, now.plusSeconds(600), now);
        assertEquals(Lifecycle.stopRetry(1, now), late.due(), "the next round of cancels, before its check");
        var past = EffectRules.afterStopRound(working, Set.of(ORPHAN.key()), 0, now.minusSeconds(5), now);
        assertEquals(now, past.due(), "a step already due is due now");
    }

    @Test
    void aWebhookIsDeliveredRetriedOnItsScheduleOrGivenUp() {
        Instant now = T0.plusSeconds(10);
        assertEquals(new EffectRules.WebhookOutcome(WebhookState.DELIVERED, null, "delivered"), EffectRules.afterWebhookAttempt(1, true, true, now));
        assertEquals(new EffectRules.WebhookOutcome(WebhookState.PENDING, now.plus(Lifecycle.WEBHOOK_RETRIES.get(0)), "failed"),
                EffectRules.afterWebhookAttempt(1, false, true, now));
        assertEquals(WebhookState.GAVE_UP, EffectRules.afterWebhookAttempt(1, false, false, now).state(),
                "a refusal no retry can mend (a 4xx) is given up at once");
        assertEquals(WebhookState.GAVE_UP, EffectRules.afterWebhookAttempt(Lifecycle.WEBHOOK_RETRIES.size() + 1, false, true, now).state(),
                "past the schedule");
    }

    @Test
    void afterNotifyingTheResultFilesRetryComesUnlessAWebhookAttemptIsSooner() {
        Prediction done = LifecycleTest.at(Phase.COMPLETED).webhook("https://h/x").jobs(new Jobs(WINNER, Set.of(), Set.of(WINNER.key()), 0))
                .build();
        Instant now = T0.plusSeconds(50);
        Notifications hookSoon = new Notifications(WebhookState.PENDING, 1, now.plusSeconds(5), true);
        assertEquals(now.plusSeconds(5), EffectRules.dueAfterNotifying(done, hookSoon, now.plusSeconds(30), now));
        Notifications hookLate = new Notifications(WebhookState.PENDING, 2, now.plusSeconds(300), true);
        assertEquals(now.plusSeconds(30), EffectRules.dueAfterNotifying(done, hookLate, now.plusSeconds(30), now));
        Notifications delivered = new Notifications(WebhookState.DELIVERED, 1, null, false);
        assertNull(EffectRules.dueAfterNotifying(done, delivered, null, now), "nothing owed");
    }
}
