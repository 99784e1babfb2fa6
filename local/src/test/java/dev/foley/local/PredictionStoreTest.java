package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.config.Settings;
import dev.foley.net.UrlPolicy;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.RequestValidator;
import dev.foley.json.Json;
import dev.foley.store.IdempotencyConflictException;
import dev.foley.store.PredictionStore;
import dev.foley.store.PredictionStore.IdempotencyClaim;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The prediction store against moto's DynamoDB: real protocol, real conditional writes. */
@ExtendWith(Moto.class)
class PredictionStoreTest {

    static DynamoDbClient dynamo;
    static Settings settings;
    static PredictionStore store;
    static final IdGenerator ids = IdGenerator.random();

    @BeforeAll
    static void table() throws Exception {
        settings = Moto.settings(Moto.tableName("store"), Map.of());
        dynamo = Moto.freshTable(settings);
        store = new PredictionStore(dynamo, settings.table(), Clock.systemUTC(), 4, Duration.ofDays(7));
    }

    static PredictionRequest request(String prompt) throws Exception {
        return new RequestValidator(new UrlPolicy(false)).validate(Kind.VIDEO,
                Json.parse("{\"video\":\"https://example.com/a.mp4\",\"prompt\":" + Json.write(prompt) + "}"));
    }

    static Prediction newPrediction(String keyId, Instant at) throws Exception {
        return Prediction.accepted(ids.next(), keyId, request("footsteps on gravel"), null, at);
    }

    @Test
    void storesAndReadsBackEveryField() throws Exception {
        var req = new RequestValidator(new UrlPolicy(false)).validate(Kind.VIDEO, Json.parse("""
                {"video":"https://example.com/clip.mp4","prompt":"glass shatters, 雨","negative_prompt":"music",
                 "num_inference_steps":50,"duration":30,"guidance_scale":0.25,"mask_away_clip":true,"seed":65535}"""));
        Instant t = Instant.parse("2026-01-02T03:04:05.678Z");
        Prediction p = Prediction.accepted(ids.next(), "key_a", req, "https://hooks.example.com/x?y=1", t);
        store.create(p, null);
        Prediction back = store.get(p.id()).orElseThrow();
        assertEquals(p.request(), back.request());
        assertEquals(p.webhook(), back.webhook());
        assertEquals(Phase.ACCEPTED, back.phase());
        assertEquals(t, back.createdAt());
        assertEquals(1, back.version());
        // It is due at once, on its shard, so the poller will pick it up.
        var item = dynamo.getItem(r -> r.tableName(settings.table())
                .key(Map.of("PK", AttributeValue.fromS("P#" + p.id()), "SK", AttributeValue.fromS("P")))).item();
        assertEquals(Long.toString(t.toEpochMilli()), item.get("due_at").n());
        assertNotNull(item.get("due_shard").s());
        assertEquals(Long.toString(t.plus(Duration.ofDays(7)).getEpochSecond()), item.get("expires_at").n());
    }

    @Test
    void unknownIdIsEmpty() {
        assertEquals(Optional.empty(), store.get(ids.next()));
    }

    @Test
    void exactlyOneOfManyRacingTransitionsWins() throws Exception {
        for (int round = 0; round < 3; round++) {
            Prediction p = newPrediction("key_race", Instant.now());
            store.create(p, null);
            int threads = 16;
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger winners = new AtomicInteger();
            try (var pool = Executors.newFixedThreadPool(threads)) {
                List<Future<?>> fs = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    boolean claim = i % 2 == 0;
                    fs.add(pool.submit(() -> {
                        go.await();
                        // Half claim the submit, half cancel: one of them wins, whatever the mix.
                        Optional<Prediction> won = claim
                                ? store.moves().claim(p, PredictionStore.Step.SUBMIT, "t", Instant.now().plusSeconds(30), false)
                                : store.moves().finish(p, Phase.CANCELLED, "cancelled", false, Notifications.NONE, null, List.of());
                        if (won.isPresent()) {
                            winners.incrementAndGet();
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : fs) {
                    f.get();
                }
            }
            assertEquals(1, winners.get(), "exactly one writer may claim or move a prediction");
            Prediction after = store.get(p.id()).orElseThrow();
            assertEquals(2, after.version());
            assertTrue(after.phase() == Phase.CANCELLED || after.lease() != null, after.toString());
        }
    }

    @Test
    void staleVersionLosesAndTerminalPhaseLeavesTheDueIndex() throws Exception {
        Prediction p = newPrediction("key_stale", Instant.now());
        store.create(p, null);
        Prediction claimed = store.moves().claim(p, PredictionStore.Step.SUBMIT, "t", Instant.now().plusSeconds(30), false).orElseThrow();
        Prediction submitted = store.moves().recordSubmitted(claimed, ProviderJob.of("wavespeed", "j1"), Instant.now(), List.of("ok"))
                .orElseThrow();
        assertEquals(Phase.SUBMITTED, submitted.phase());
        assertNull(submitted.lease(), "the record ends the claim");
        assertEquals(0, submitted.jobs().unconfirmed(), "a job came back: nothing unconfirmed");
        assertTrue(store.moves().finish(p, Phase.CANCELLED, "x", false, Notifications.NONE, null, List.of()).isEmpty(),
                "a stale read must lose");
        assertTrue(store.moves().claim(p, PredictionStore.Step.SUBMIT, "t", Instant.now().plusSeconds(30), false).isEmpty(),
                "a stale claim must lose");
        Prediction failed = store.moves().finish(submitted, Phase.FAILED, "provider said no", true, Notifications.NONE, null, List.of())
                .orElseThrow();
        assertEquals("provider said no", failed.error());
        var item = dynamo.getItem(r -> r.tableName(settings.table())
                .key(Map.of("PK", AttributeValue.fromS("P#" + p.id()), "SK", AttributeValue.fromS("P")))).item();
        assertFalse(item.containsKey("due_at"));
        assertFalse(item.containsKey("due_shard"));
    }

    @Test
    void aLiveLeaseBlocksAClaimAndAnExpiredOneIsTakenOver() throws Exception {
        Instant t = Instant.now();
        Prediction p = newPrediction("key_lease", t).claimedForSubmit("api", t.plusSeconds(40));
        store.create(p, null);
        Prediction stored = store.get(p.id()).orElseThrow();
        assertEquals(t.plusSeconds(40).toEpochMilli(), stored.dueAt().toEpochMilli(), "due when the lease ends");
        assertEquals(1, stored.jobs().unconfirmed(), "the stored claim counts its submit");
        assertTrue(store.moves().claim(stored, PredictionStore.Step.SUBMIT, "poller", Instant.now().plusSeconds(40), false).isEmpty(),
                "nobody takes a live lease");
        var later = new PredictionStore(dynamo, settings.table(), Clock.fixed(t.plusSeconds(41), java.time.ZoneOffset.UTC), 4,
                Duration.ofDays(7));
        Prediction taken = later.moves().claim(stored, PredictionStore.Step.SUBMIT, "poller", t.plusSeconds(81), false).orElseThrow();
        assertEquals("poller", taken.lease().owner());
        assertEquals(2, taken.jobs().unconfirmed(), "the crashed holder's submit stays counted: at most one more");
    }

    @Test
    void aRenewedLeaseHoldsOffOthersAndKeepsTheHoldersRecordValid() throws Exception {
        Instant t = Instant.now();
        Prediction p = newPrediction("key_renew", t);
        store.create(p, null);
        Prediction claimed = store.moves().claim(p, PredictionStore.Step.SUBMIT, "a", t.plusSeconds(45), false).orElseThrow();
        Instant first = claimed.lease().until();
        assertFalse(store.moves().renewLease(claimed, first.plusMillis(1), t.plusSeconds(90)), "only the lease as claimed is renewed");
        assertTrue(store.moves().renewLease(claimed, first, t.plusSeconds(90)));
        Prediction held = store.get(p.id()).orElseThrow();
        assertEquals(t.plusSeconds(90).toEpochMilli(), held.lease().until().toEpochMilli());
        assertEquals(t.plusSeconds(90).toEpochMilli(), held.dueAt().toEpochMilli(), "the poller looks when the renewed lease ends");
        assertEquals(claimed.version(), held.version(), "a renewal is not a move: the holder's record still matches");
        var afterFirstLease = new PredictionStore(dynamo, settings.table(), Clock.fixed(t.plusSeconds(60), java.time.ZoneOffset.UTC), 4,
                Duration.ofDays(7));
        assertTrue(afterFirstLease.moves().claim(held, PredictionStore.Step.SUBMIT, "b", t.plusSeconds(120), false).isEmpty(),
                "past the first lease end, the renewed lease still holds others off");
        assertTrue(store.moves().recordSubmitted(claimed, ProviderJob.of("fal", "job-1"), t.plusSeconds(5), List.of()).isPresent(),
                "the holder records on the version it claimed");
        assertFalse(store.moves().renewLease(claimed, t.plusSeconds(90), t.plusSeconds(135)), "a renewal after the record finds no claim");
    }

    @Test
    void aStaleFailureNeverOverwritesARecordedSuccess() throws Exception {
        Prediction p = newPrediction("key_stale2", Instant.now());
        store.create(p, null);
        Prediction claimed = store.moves().claim(p, PredictionStore.Step.SUBMIT, "a", Instant.now().plusSeconds(30), false).orElseThrow();
        store.moves().recordSubmitted(claimed, ProviderJob.of("wavespeed", "won"), Instant.now(), List.of("won")).orElseThrow();
        assertTrue(store.moves().recordSubmitFailure(claimed, true, Instant.now(), List.of("timed out")).isEmpty(),
                "a step on a stale snapshot acts on nothing");
        Prediction after = store.get(p.id()).orElseThrow();
        assertEquals(Phase.SUBMITTED, after.phase());
        assertEquals("won", after.job().id());
        store.moves().appendAttempts(p.id(), List.of("the late failure, for the record"));
        assertTrue(store.get(p.id()).orElseThrow().attempts().stream().anyMatch(a -> a.endsWith("the late failure, for the record")));
    }

    @Test
    void idempotencyClaimReplaysTheSameRequestAndRefusesAnother() throws Exception {
        Prediction first = newPrediction("key_idem", Instant.now());
        var claim = new IdempotencyClaim("key_idem", "order-42", "hash-A");
        var created = store.create(first, claim);
        assertInstanceOf(PredictionStore.Created.New.class, created);
        var again = store.create(newPrediction("key_idem", Instant.now()), claim);
        assertInstanceOf(PredictionStore.Created.Replayed.class, again);
        assertEquals(first.id(), again.prediction().id());
        assertThrows(IdempotencyConflictException.class,
                () -> store.create(newPrediction("key_idem", Instant.now()), new IdempotencyClaim("key_idem", "order-42", "hash-B")));
        // The same client key under another API key is a different claim.
        var other = store.create(newPrediction("key_other", Instant.now()), new IdempotencyClaim("key_other", "order-42", "hash-B"));
        assertInstanceOf(PredictionStore.Created.New.class, other);
        assertEquals(1, store.list("key_idem", 10, null).items().size(), "a replay must not store a second prediction");
    }

    @Test
    void expiredIdempotencyClaimIsFreeAgain() throws Exception {
        // A clock 25 h ahead sees the claim as expired, though moto's TTL has not deleted it.
        var later = new PredictionStore(dynamo, settings.table(),
                Clock.fixed(Instant.now().plus(Duration.ofHours(25)), java.time.ZoneOffset.UTC), 4, Duration.ofDays(7));
        var claim = new IdempotencyClaim("key_exp", "k1", "h1");
        store.create(newPrediction("key_exp", Instant.now()), claim);
        var fresh = later.create(newPrediction("key_exp", Instant.now()), new IdempotencyClaim("key_exp", "k1", "h2"));
        assertInstanceOf(PredictionStore.Created.New.class, fresh);
    }

    @Test
    void listsNewestFirstAcrossPagesWithoutDuplicates() throws Exception {
        String key = "key_list_" + ids.next().substring(0, 6);
        Instant base = Instant.parse("2026-05-01T00:00:00Z");
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Prediction p = newPrediction(key, base.plusSeconds(i));
            store.create(p, null);
            made.add(0, p.id());
        }
        store.create(newPrediction("someone_else", base), null);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var page = store.list(key, 3, cursor);
            page.items().forEach(p -> seen.add(p.id()));
            cursor = page.nextCursor().orElse(null);
            pages++;
        } while (cursor != null && pages < 10);
        assertEquals(made, seen);
        Set<String> unique = new HashSet<>(seen);
        assertEquals(7, unique.size());
    }

    @Test
    void aForgedCursorIsRefused() {
        assertThrows(PredictionStore.InvalidCursorException.class, () -> store.list("k", 3, "!!!not-base64"));
        assertThrows(PredictionStore.InvalidCursorException.class, () -> store.list("k", 3, "aGVsbG8"));
    }
}
