package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.config.Settings;
import dev.foley.json.Json;
import dev.foley.net.UrlPolicy;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.RequestValidator;
import dev.foley.provider.emulator.FalEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.prediction.ProviderJob;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.util.List;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The submit step's edge: a job started for a prediction someone else moved meanwhile is cancelled upstream. */
@ExtendWith(Moto.class)
class OrphanJobTest {

    @Test
    void aJobStartedForAPredictionCancelledMeanwhileIsCancelledAtTheProvider() throws Exception {
        try (FalEmulator fal = new FalEmulator("fal-key")) {
            fal.script(Script.neverFinishes());
            Settings s = Moto.settings(Moto.tableName("dispatch"), Map.of());
            var dynamo = Moto.freshTable(s);
            var store = new PredictionStore(dynamo, s.table(), Clock.systemUTC(), 4, Duration.ofDays(7));
            var chain = Moto.providers(Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "fal-key", "FAL_BASE_URL", fal.baseUrl(),
                    "FAL_JWKS_URL", fal.jwksUrl()));
            var pipeline = Moto.foley(s, dynamo, chain).pipeline();
            var request = new RequestValidator(new UrlPolicy(true)).validate(Kind.VIDEO,
                    Json.parse("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"waves\"}"));
            Prediction p = Prediction.accepted(IdGenerator.random().next(), "k", request, null, Instant.now())
                    .claimedForSubmit("test", Instant.now().plusSeconds(40));
            store.create(p, null);
            // The client cancels while our submit is on its way.
            assertTrue(pipeline.cancel(p).isPresent());

            Prediction after = pipeline.submitClaimed(p, Optional.empty(), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(20)));
            assertEquals(Phase.CANCELLED, after.phase(), "the cancel stands");
            assertEquals(1, fal.requests(Op.SUBMIT).size());
            assertEquals(1, fal.requests(Op.CANCEL).size(), "the orphaned job is cancelled upstream");
            Prediction recorded = store.get(p.id()).orElseThrow();
            assertEquals(1, recorded.jobs().started().size(), "the orphan is on the record: " + recorded.jobs());
            assertEquals(recorded.jobs().started().stream().map(ProviderJob::key).toList(), List.copyOf(recorded.jobs().stopped()),
                    "and it is marked stopped");
            assertNull(recorded.job(), "an orphan is never the tracked job");
        }
    }
}
