package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.local.generator.AudioProbe;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.JobStatus;
import dev.foley.store.PredictionStore;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Local mode as ./foley serve runs it: the default provider is the offline generator. */
@ExtendWith(Moto.class)
class LocalModeTest {

    @TempDir
    Path tmp;

    @Test
    void aSubmittedClipBecomesAProcessingPredictionWhoseLocalJobMakesASyncedTrack() throws Exception {
        var o = new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("localmode"),
                "fk_local-mode-key-0123456789", false, Map.of(), tmp);
        try (LocalFoley foley = LocalFoley.start(o); MediaServer media = new MediaServer()) {
            assertEquals("local", foley.providers().primary().name(), "local is the default in local mode");
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"video\":\"" + media.url("bounce-4s.mp4") + "\",\"prompt\":\"a ball bouncing on a wooden floor\",\"duration\":4}";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/api/v3/wavespeed-ai/mmaudio-v2"))
                    .header("Authorization", "Bearer " + foley.apiKey()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode data = Json.parse(r.body()).get("data");
            assertEquals("processing", data.get("status").asText(), r.body());

            var store = new PredictionStore(foley.dynamo(), foley.settings().table(), Clock.systemUTC(), 4, Duration.ofDays(7));
            Prediction p = store.get(data.get("id").asText()).orElseThrow();
            assertEquals(Phase.SUBMITTED, p.phase());
            assertEquals("local", p.job().provider());
            JobStatus s;
            long deadline = System.nanoTime() + 60_000_000_000L;
            do {
                Thread.sleep(50);
                s = foley.providers().primary().check(p.job());
            } while (s instanceof JobStatus.Running && System.nanoTime() < deadline);
            JobStatus.Done done = assertInstanceOf(JobStatus.Done.class, s, s.toString());
            Path out = tmp.resolve("out.mp4");
            try (InputStream in = http.send(HttpRequest.newBuilder(URI.create(done.outputs().get(0))).build(),
                    HttpResponse.BodyHandlers.ofInputStream()).body()) {
                Files.copy(in, out);
            }
            AudioProbe probe = AudioProbe.of(out);
            assertEquals(4.0, probe.audioSeconds(), 0.05);
            for (double impact : new double[] {0.5, 1.5, 2.5, 3.5}) {
                assertTrue(probe.onsets().stream().anyMatch(t -> Math.abs(t - impact) <= 0.08), probe.onsets().toString());
            }
        }
    }
}
