package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.local.generator.AudioProbe;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Prediction;
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
    void aSubmittedClipCompletesWithASyncedTrackInOurBucket() throws Exception {
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
            assertEquals("local", p.job().provider());
            // The in-process poller and completion carry it to the end; the client only polls the result.
            JsonNode result;
            long deadline = System.nanoTime() + 60_000_000_000L;
            do {
                Thread.sleep(100);
                result = Json.parse(http.send(HttpRequest.newBuilder(URI.create(data.at("/urls/get").asText()))
                        .header("Authorization", "Bearer " + foley.apiKey()).build(), HttpResponse.BodyHandlers.ofString()).body())
                        .get("data");
            } while (!result.get("status").asText().equals("completed") && !result.get("status").asText().equals("failed")
                    && System.nanoTime() < deadline);
            assertEquals("completed", result.get("status").asText(), result.toString());
            String link = result.get("outputs").get(0).asText();
            assertTrue(link.contains(foley.settings().outputsBucket()), "served from our bucket: " + link);
            Path out = tmp.resolve("out.mp4");
            try (InputStream in = http.send(HttpRequest.newBuilder(URI.create(link)).build(),
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
