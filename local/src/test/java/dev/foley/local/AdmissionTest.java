package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.Foley;
import dev.foley.admission.Admission;
import dev.foley.json.Json;
import dev.foley.key.ApiKey;
import dev.foley.prediction.Kind;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import dev.foley.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The one way in, for the API and ingest alike: what it stores, what it reserves, what it gives back. */
@ExtendWith(Moto.class)
class AdmissionTest {

    static WaveSpeedEmulator emu;
    static Foley foley;
    static Admission admission;

    @BeforeAll
    static void wire() throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        emu.script(Script.neverFinishes());
        var env = Moto.wavespeed(emu);
        var s = Moto.settings(Moto.tableName("admit"), env);
        foley = Moto.foley(s, Moto.freshTable(s), Moto.providers(env));
        admission = foley.admission();
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    static ApiKey prepaid(long microUsd) {
        return foley.keys().create("prepaid", dev.foley.key.KeyMaterial.newKey(), ApiKey.WAVESPEED, microUsd).key();
    }

    static long balance(ApiKey k) {
        return foley.keys().findByHash(k.hash()).orElseThrow().balanceMicroUsd();
    }

    static Admission.Outcome admit(ApiKey key, String body, String idempotencyKey) throws Exception {
        return admission.admit(new Admission.Application(Kind.VIDEO, Json.parse(body.getBytes()), null, key, idempotencyKey, null,
                null, List.of()), Optional.empty(), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(20)));
    }

    static final String BODY = "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"duration\":4}";

    @Test
    void aPrepaidKeyPaysOnceAndARepeatOrAConflictGivesItsReservationBack() throws Exception {
        ApiKey k = prepaid(10_000);
        var first = assertInstanceOf(Admission.Outcome.Admitted.class, admit(k, BODY, "order-1"));
        assertEquals(6_000, balance(k), "4 s reserved");
        var again = assertInstanceOf(Admission.Outcome.Replayed.class, admit(k, BODY, "order-1"));
        assertEquals(first.prediction().id(), again.original().id());
        assertEquals(6_000, balance(k), "the repeat's reservation was given back");
        assertInstanceOf(Admission.Outcome.IdempotencyConflict.class, admit(k, BODY.replace("rain", "wind"), "order-1"));
        assertEquals(6_000, balance(k), "the conflict's reservation was given back");
        var shortOf = assertInstanceOf(Admission.Outcome.InsufficientBalance.class,
                admit(k, BODY.replace("\"duration\":4", "\"duration\":8"), null));
        assertEquals(8_000, shortOf.costMicroUsd());
        assertEquals(6_000, balance(k), "nothing taken when short");
    }

    @Test
    void invalidInputIsRefusedBeforeAnythingIsReservedOrStored() throws Exception {
        ApiKey k = prepaid(10_000);
        int jobs = emu.jobsCreated();
        var invalid = assertInstanceOf(Admission.Outcome.Invalid.class, admit(k, "{\"prompt\":\"\",\"duration\":99}", null));
        assertTrue(invalid.errors().size() >= 2, invalid.errors().toString());
        assertEquals(10_000, balance(k));
        assertEquals(jobs, emu.jobsCreated());
        assertTrue(foley.predictions().list(k.keyId(), 10, null).items().isEmpty());
    }
}
