package dev.foley.lifecycle;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.lifecycle.Lifecycle.AfterSubmitFailure;
import dev.foley.lifecycle.Lifecycle.Work;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Lease;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules of a prediction's life, as pure functions: no table, no provider, no clock but the one given. */
class LifecycleTest {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final Lifecycle POLL_ONLY = new Lifecycle(Duration.ofMinutes(15), false);
    static final Lifecycle WITH_PUSH = new Lifecycle(Duration.ofMinutes(15), true);
    static final PredictionRequest REQ = new PredictionRequest(Kind.VIDEO, "https://x/a.mp4", "rain", "", 25, 8, 4.5, false, null, false);
    static final ProviderJob JOB = ProviderJob.of("wavespeed", "j1");
    static final ProviderJob ORPHAN = ProviderJob.of("wavespeed", "j0");

    static Prediction.Builder at(Phase phase) {
        return Prediction.builder("0123456789abcdef0123456789abcdef", "k", REQ, T0).phase(phase).dueAt(T0);
    }

    static Jobs tracking(ProviderJob winner, ProviderJob... others) {
        return new Jobs(winner, Set.of(others), Set.of(), 0);
    }

    // ---- what is due ----

    @Test
    void eachPhaseHasItsNextStep() {
        Instant now = T0.plusSeconds(1);
        assertInstanceOf(Work.Submit.class, POLL_ONLY.next(at(Phase.ACCEPTED).build(), now));
        assertInstanceOf(Work.Check.class, POLL_ONLY.next(at(Phase.SUBMITTED).jobs(tracking(JOB)).build(), now));
        assertEquals(new Work.Copy(true), POLL_ONLY.next(at(Phase.UPSTREAM_DONE).jobs(tracking(JOB)).build(), now));
        assertEquals(new Work.Copy(false), POLL_ONLY.next(at(Phase.UPSTREAM_DONE).dueAt(now.plusSeconds(60))
                .jobs(tracking(JOB)).build(), now), "completion copies at once; the poller only once it is due");
        Prediction owed = at(Phase.COMPLETED).webhook("https://h/x").jobs(tracking(JOB))
                .notifications(new Notifications(WebhookState.PENDING, 0, now, false)).build();
        assertInstanceOf(Work.Notify.class, POLL_ONLY.next(owed, now));
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(at(Phase.COMPLETED).dueAt(null).jobs(tracking(JOB)).build(), now));
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(at(Phase.SUBMITTED).dueAt(now.plusSeconds(5)).jobs(tracking(JOB)).build(), now));
    }

    @Test
    void aLiveLeaseMeansWaitAndAnExpiredOneIsTakenOver() {
        Prediction claimed = at(Phase.ACCEPTED).lease(new Lease("api", T0.plusSeconds(40))).build();
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(claimed, T0.plusSeconds(39)));
        assertInstanceOf(Work.Submit.class, POLL_ONLY.next(claimed, T0.plusSeconds(41)));
    }

    @Test
    void aSpentSubmitBudgetNeverSubmitsAgain() {
        Prediction spent = at(Phase.ACCEPTED).jobs(new Jobs(null, Set.of(), Set.of(), Jobs.MAX_UNCONFIRMED)).build();
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(spent, T0.plusSeconds(5)));
        Work late = POLL_ONLY.next(spent, T0.plus(Duration.ofMinutes(16)));
        assertEquals(new Work.TimeOut("timed out: not finished within 15 minutes (the provider never confirmed the job)"), late);
    }

    @Test
    void orphansAreStoppedInAnyPhaseAndAFailedPredictionsOwnJobToo() {
        Instant now = T0.plusSeconds(1);
        assertEquals(new Work.StopJobs(List.of(ORPHAN)),
                POLL_ONLY.next(at(Phase.SUBMITTED).jobs(tracking(JOB, ORPHAN)).build(), now));
        Work cancelled = POLL_ONLY.next(at(Phase.CANCELLED).jobs(tracking(JOB)).build(), now);
        assertEquals(new Work.StopJobs(List.of(JOB)), cancelled);
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(at(Phase.COMPLETED).dueAt(null).jobs(tracking(JOB)).build(), now),
                "a completed prediction's job ended by itself");
        Jobs stopped = new Jobs(JOB, Set.of(ORPHAN), Set.of(JOB.key(), ORPHAN.key()), 0);
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(at(Phase.FAILED).dueAt(null).jobs(stopped).build(), now));
    }

    // ---- deadlines ----

    @Test
    void nothingWaitsPastTheDeadline() {
        Prediction p = at(Phase.SUBMITTED).jobs(tracking(JOB)).checks(9).build();
        Instant nearTheEnd = T0.plus(Duration.ofMinutes(15)).minusSeconds(3);
        Instant next = POLL_ONLY.nextCheck(p, nearTheEnd);
        assertFalse(next.isAfter(T0.plus(Duration.ofMinutes(15)).plusMillis(1)), "a 15 s backoff is cut to the deadline: " + next);
        var retry = (AfterSubmitFailure.RetryAt) POLL_ONLY.afterSubmitFailure(at(Phase.ACCEPTED).jobs(new Jobs(null, Set.of(), Set.of(), 1))
                .build(), false, Optional.of(Duration.ofSeconds(60)), Duration.ofSeconds(7), nearTheEnd);
        assertFalse(retry.at().isAfter(T0.plus(Duration.ofMinutes(15)).plusMillis(1)));
        assertInstanceOf(Work.TimeOut.class, POLL_ONLY.next(p.toBuilder().dueAt(next).build(), next));
    }

    @Test
    void aJobSeenDoneGetsTheCopyWindowEvenPastTheDeadline() {
        Instant doneAt = T0.plus(Duration.ofMinutes(14));
        Prediction p = at(Phase.UPSTREAM_DONE).upstreamAt(doneAt).jobs(tracking(JOB)).build();
        assertEquals(doneAt.plus(Lifecycle.COPY_WINDOW), POLL_ONLY.deadlineOf(p));
        assertInstanceOf(Work.Copy.class, POLL_ONLY.next(p, T0.plus(Duration.ofMinutes(16))));
        assertTrue(POLL_ONLY.copyRetry(p.toBuilder().copyAttempts(2).build(), T0.plus(Duration.ofMinutes(16))).isPresent());
        assertTrue(POLL_ONLY.copyRetry(p, doneAt.plus(Lifecycle.COPY_WINDOW).minusMillis(500)).isEmpty(), "no retry past the window");
    }

    @Test
    void mediaWorkThatKeepsFailingFailsAfterItsAttemptsNotAtTheDeadline() {
        Prediction p = at(Phase.UPSTREAM_DONE).upstreamAt(T0).jobs(tracking(JOB)).build();
        Instant now = T0.plusSeconds(30);
        for (int failed = 0; failed < Lifecycle.MEDIA_ATTEMPTS - 1; failed++) {
            assertTrue(POLL_ONLY.mediaRetry(p.toBuilder().copyAttempts(failed).build(), now).isPresent(), failed + " failed so far");
        }
        assertTrue(POLL_ONLY.mediaRetry(p.toBuilder().copyAttempts(Lifecycle.MEDIA_ATTEMPTS - 1).build(), now).isEmpty(),
                "the last attempt failed: no more");
        assertTrue(POLL_ONLY.copyRetry(p.toBuilder().copyAttempts(Lifecycle.MEDIA_ATTEMPTS - 1).build(), now).isPresent(),
                "a copy of a provider's output still tries until its window ends");
    }

    @Test
    void durationsReadAsPeopleSayThem() {
        assertEquals("15 minutes", Durations.human(Duration.ofSeconds(900)));
        assertEquals("2 min 30 s", Durations.human(Duration.ofSeconds(150)));
        assertEquals("45 seconds", Durations.human(Duration.ofSeconds(45)));
        assertEquals("1 minute", Durations.human(Duration.ofSeconds(60)));
        assertEquals("1 hour", Durations.human(Duration.ofHours(1)));
        assertEquals("1 h 30 min", Durations.human(Duration.ofMinutes(90)));
        assertEquals("timed out: not finished within 2 min 30 s",
                new Lifecycle(Duration.ofSeconds(150), false).timeoutReason(at(Phase.SUBMITTED).jobs(tracking(JOB)).build()));
    }

    // ---- submits ----

    @Test
    void aSubmitThatMadeNoJobBacksOffByItsFailuresNotItsAgeAndHonoursRetryAfter() {
        Prediction young = at(Phase.ACCEPTED).jobs(new Jobs(null, Set.of(), Set.of(), 1)).build();
        var first = (AfterSubmitFailure.RetryAt) POLL_ONLY.afterSubmitFailure(young, false, Optional.empty(), Duration.ofSeconds(7),
                T0.plusSeconds(1));
        assertEquals(T0.plusSeconds(2), first.at(), "1 s at first");
        var old = (AfterSubmitFailure.RetryAt) POLL_ONLY.afterSubmitFailure(young, false, Optional.empty(), Duration.ofSeconds(7),
                T0.plusSeconds(300));
        assertEquals(T0.plusSeconds(301), old.at(), "a first failure of an old prediction (it waited for a slot) is retried in 1 s too");
        var third = (AfterSubmitFailure.RetryAt) POLL_ONLY.afterSubmitFailure(young.toBuilder().checks(2).build(), false,
                Optional.empty(), Duration.ofSeconds(7), T0.plusSeconds(10));
        assertEquals(T0.plusSeconds(14), third.at(), "after two failed submits, 4 s");
        var many = (AfterSubmitFailure.RetryAt) POLL_ONLY.afterSubmitFailure(young.toBuilder().checks(20).build(), false,
                Optional.empty(), Duration.ofSeconds(7), T0.plusSeconds(10));
        assertEquals(T0.plusSeconds(70), many.at(), "a minute at most");
        var asked = (AfterSubmitFailure.RetryAt) POLL_ONLY.afterSubmitFailure(young, false, Optional.of(Duration.ofSeconds(20)),
                Duration.ofSeconds(7), T0.plusSeconds(1));
        assertEquals(T0.plusSeconds(21), asked.at(), "Retry-After, when longer");
    }

    @Test
    void aSubmitThatMayHaveMadeAJobIsRetriedOnceInTheWholeLife() {
        Prediction once = at(Phase.ACCEPTED).jobs(new Jobs(null, Set.of(), Set.of(), 1)).build();
        Prediction twice = at(Phase.ACCEPTED).jobs(new Jobs(null, Set.of(), Set.of(), 2)).build();
        Instant now = T0.plusSeconds(25);
        assertEquals(new AfterSubmitFailure.RetryAt(now.plus(Lifecycle.UNCONFIRMED_RETRY)),
                POLL_ONLY.afterSubmitFailure(once, true, Optional.empty(), Duration.ofSeconds(7), now));
        assertEquals(new AfterSubmitFailure.RetryAt(now.plusSeconds(7).plus(Lifecycle.CALLBACK_GRACE)),
                WITH_PUSH.afterSubmitFailure(once, true, Optional.empty(), Duration.ofSeconds(7), now),
                "with pushes, the job's callback gets its chance before a second job is paid for");
        var fail = assertInstanceOf(AfterSubmitFailure.Fail.class,
                POLL_ONLY.afterSubmitFailure(twice, true, Optional.empty(), Duration.ofSeconds(7), now));
        assertTrue(fail.reason().contains("so as not to pay twice"), fail.reason());
        assertInstanceOf(AfterSubmitFailure.WaitForCallback.class,
                WITH_PUSH.afterSubmitFailure(twice, true, Optional.empty(), Duration.ofSeconds(7), now));
        assertFalse(twice.jobs().submitBudgetLeft());
        assertTrue(once.jobs().submitBudgetLeft());
    }

    // ---- checks, webhooks ----

    @Test
    void checksBackOffAndAnUnknownJobFailsOnlyAfterStrikesSpreadOverTensOfSeconds() {
        Instant now = T0.plusSeconds(10);
        Prediction p = at(Phase.SUBMITTED).jobs(tracking(JOB)).build();
        assertEquals(now.plusSeconds(1), POLL_ONLY.nextCheck(p, now));
        assertEquals(now.plusSeconds(8), POLL_ONLY.nextCheck(p.toBuilder().checks(3).build(), now));
        assertEquals(now.plusSeconds(15), POLL_ONLY.nextCheck(p.toBuilder().checks(12).build(), now));
        Duration quick = Duration.ofSeconds(2);
        // Strikes 1, 2, 3 wait 5, 10, 20 s; the fourth in a row fails: at least 35 s from the first.
        Instant t = now;
        Duration span = Duration.ZERO;
        for (int strike = 0; strike < Lifecycle.NOT_FOUND_LIMIT - 1; strike++) {
            Instant next = POLL_ONLY.afterNotFound(p.toBuilder().notFoundChecks(strike).build(), quick, t).orElseThrow();
            assertTrue(next.isAfter(t.plusSeconds(4)), "strike " + (strike + 1) + " looks again after seconds, not at once");
            span = span.plus(Duration.between(t, next));
            t = next;
        }
        assertTrue(span.compareTo(Duration.ofSeconds(30)) >= 0, "strikes spread over tens of seconds: " + span);
        assertEquals(Optional.empty(), POLL_ONLY.afterNotFound(p.toBuilder().notFoundChecks(Lifecycle.NOT_FOUND_LIMIT - 1).build(),
                quick, t));
        // A provider whose new jobs stay invisible for 90 s: the strikes are stretched past it.
        Instant s = now;
        for (int strike = 0; strike < Lifecycle.NOT_FOUND_LIMIT - 1; strike++) {
            s = POLL_ONLY.afterNotFound(p.toBuilder().notFoundChecks(strike).build(), Duration.ofSeconds(90), s).orElseThrow();
        }
        assertTrue(!s.isBefore(now.plusSeconds(90)), "never all inside the creation delay: " + s);
    }

    // ---- effects: on their own schedule, the client first ----

    @Test
    void aFinishedPredictionTellsItsClientBeforeItsJobsAreStopped() {
        Instant now = T0.plusSeconds(3);
        Prediction cancelled = at(Phase.CANCELLED).webhook("https://h/x").jobs(tracking(JOB))
                .notifications(new Notifications(WebhookState.PENDING, 0, now, false)).build();
        assertInstanceOf(Work.Notify.class, POLL_ONLY.next(cancelled, now), "the webhook goes first");
        Prediction told = cancelled.toBuilder().notifications(new Notifications(WebhookState.DELIVERED, 1, null, false)).build();
        assertEquals(new Work.StopJobs(List.of(JOB)), POLL_ONLY.next(told, now), "then the job is stopped");
    }

    @Test
    void aFailedRoundOfCancelsWaitsForItsBackoffStep() {
        Instant now = T0.plusSeconds(3);
        Jobs failedOnce = tracking(JOB).withStopRetry(1, Lifecycle.stopRetry(1, now));
        Prediction p = at(Phase.CANCELLED).dueAt(Lifecycle.stopRetry(1, now)).jobs(failedOnce).build();
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(p, now.plusSeconds(1)), "not again before its time, by any loop");
        assertEquals(new Work.StopJobs(List.of(JOB)), POLL_ONLY.next(p, Lifecycle.stopRetry(1, now)));
        assertEquals(Lifecycle.stopRetry(1, now), Lifecycle.effectsDue(p, now));
        // The steps grow, and a provider down for an hour gets a bounded number of rounds.
        int rounds = 0;
        Duration elapsed = Duration.ZERO;
        while (elapsed.compareTo(Duration.ofHours(1)) < 0) {
            rounds++;
            elapsed = elapsed.plus(Duration.between(now, Lifecycle.stopRetry(rounds, now)));
        }
        assertTrue(rounds < 20, "rounds of cancels in an hour-long outage: " + rounds);
        assertTrue(Lifecycle.stopRetry(2, now).isAfter(Lifecycle.stopRetry(1, now)));
    }

    @Test
    void aFailedCopyWaitsForItsRetryTimeAndTheFirstRetriesComeWithinSeconds() {
        Instant now = T0.plusSeconds(20);
        Prediction failed = at(Phase.UPSTREAM_DONE).upstreamAt(T0).jobs(tracking(JOB)).copyAttempts(1).dueAt(now.plusSeconds(2))
                .retryAt(now.plusSeconds(2)).build();
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(failed, now.plusSeconds(1)), "completion does not copy again before its time");
        assertEquals(new Work.Copy(true), POLL_ONLY.next(failed, now.plusSeconds(2)));
        Prediction handedOver = failed.toBuilder().dueAt(now.plus(Lifecycle.COMPLETION_GRACE)).build();
        assertEquals(new Work.Copy(false), POLL_ONLY.next(handedOver, now.plusSeconds(2)),
                "handed to completion (its due time moved on as a fallback): completion copies at once");
        Duration sum = Duration.ZERO;
        for (int attempts = 0; attempts < 3; attempts++) {
            sum = sum.plus(Duration.between(now, POLL_ONLY.copyRetry(failed.toBuilder().copyAttempts(attempts).build(), now).orElseThrow()));
        }
        assertTrue(sum.compareTo(Duration.ofSeconds(8)) <= 0, "three retries within seconds: " + sum);
    }

    @Test
    void webhooksAreRetriedOnTheScheduleThenGivenUp() {
        assertEquals(Optional.of(Duration.ofSeconds(5)), Lifecycle.webhookRetryAfter(1));
        assertEquals(Optional.of(Duration.ofHours(6)), Lifecycle.webhookRetryAfter(7));
        assertEquals(Optional.empty(), Lifecycle.webhookRetryAfter(8), "one attempt and seven retries");
        Instant now = T0.plusSeconds(3);
        Prediction owed = at(Phase.COMPLETED).webhook("https://h/x").jobs(tracking(JOB))
                .notifications(new Notifications(WebhookState.PENDING, 1, now.plusSeconds(5), false)).build();
        assertEquals(now.plusSeconds(5), Lifecycle.effectsDue(owed, now));
        assertInstanceOf(Work.Wait.class, POLL_ONLY.next(owed.toBuilder().dueAt(now.plusSeconds(5)).build(), now));
        assertNull(Lifecycle.effectsDue(owed.toBuilder().notifications(Notifications.NONE).build(), now));
    }

    @Test
    void aLongVideoHandedToTheMediaFunctionIsCutAtOnceButARetryWaitsForItsTime() {
        var longReq = new PredictionRequest(Kind.LONG, "https://x/a.mp4", "rain", "", 25, 0, 4.5, false, null, false);
        Prediction handedOver = Prediction.builder("0123456789abcdef0123456789abcdef", "k", longReq, T0)
                .dueAt(T0.plus(Lifecycle.MEDIA_HANDOVER)).build();
        assertInstanceOf(Lifecycle.Work.Wait.class, POLL_ONLY.next(handedOver, T0, true, false), "the poller waits for the hand-over");
        assertInstanceOf(Lifecycle.Work.Submit.class, POLL_ONLY.next(handedOver, T0, true, true), "the media function cuts at once");
        Prediction failedOnce = handedOver.toBuilder().copyAttempts(1).dueAt(T0.plusSeconds(4)).retryAt(T0.plusSeconds(4)).build();
        assertInstanceOf(Lifecycle.Work.Wait.class, POLL_ONLY.next(failedOnce, T0.plusSeconds(1), true, true),
                "a cut that failed is not tried again before its backoff, even by the media function");
        assertInstanceOf(Lifecycle.Work.Submit.class, POLL_ONLY.next(failedOnce, T0.plusSeconds(4), true, true));
    }
}
