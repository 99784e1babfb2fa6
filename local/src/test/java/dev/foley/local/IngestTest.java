package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.functions.ingest.IngestHandler;
import dev.foley.json.Json;
import dev.foley.local.generator.AudioProbe;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * S3-upload-triggered generation in local mode: moto's S3 notifies SQS, serve feeds the same
 * ingest handler a stack runs, the result lands beside the upload.
 */
@ExtendWith(Moto.class)
class IngestTest {

    static LocalFoley foley;
    static S3Client s3;
    static String bucket;
    static final Path CLIP = Moto.projectRoot().resolve("local/src/test/resources/media/bounce-4s.mp4");
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        bucket = "uploads-" + Moto.tableName("i").toLowerCase();
        foley = LocalFoley.start(new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("ingest"),
                "fk_ingest-key-0123456789", false, Map.of("FOLEY_UPLOADS_BUCKET", bucket,
                "FOLEY_OUTPUTS_BUCKET", "out-" + bucket), tmp));
        s3 = LocalFoley.sdkS3(foley.settings());
    }

    @AfterAll
    static void stop() {
        foley.close();
    }

    static byte[] await(String key) throws Exception {
        long end = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < end) {
            try {
                return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
            } catch (NoSuchKeyException notYet) {
                Thread.sleep(200);
            }
        }
        String error = key.endsWith(".result.json") && exists(key.replace(".result.json", ".error.json"))
                ? ": " + new String(s3.getObjectAsBytes(r -> r.bucket(bucket).key(key.replace(".result.json", ".error.json"))).asByteArray())
                : "";
        throw new AssertionError("nothing appeared at " + key + error);
    }

    static boolean exists(String key) {
        try {
            s3.headObject(r -> r.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    @Test
    void anUploadWithMetadataBecomesAResultBesideIt() throws Exception {
        String key = "inputs/shots/take 1 é.mp4";
        s3.putObject(r -> r.bucket(bucket).key(key).metadata(Map.of("prompt", "a ball bouncing on a wooden floor", "duration", "4")),
                CLIP);
        JsonNode result = Json.parse(new String(await("outputs/shots/take 1 é.mp4.result.json")));
        assertEquals(200, result.get("code").asInt());
        assertEquals("completed", result.at("/data/status").asText());
        Path out = tmp.resolve("take1.mp4");
        Files.write(out, await("outputs/shots/take 1 é.mp4"));
        AudioProbe p = AudioProbe.of(out);
        assertEquals(4.0, p.audioSeconds(), 0.05);
        assertTrue(p.onsets().stream().anyMatch(t -> Math.abs(t - 1.5) <= 0.08), p.onsets().toString());
        assertFalse(exists("outputs/shots/take 1 é.mp4.error.json"));
    }

    @Test
    void anUploadCanAskForAnotherModelInItsOwnFields() throws Exception {
        s3.putObject(r -> r.bucket(bucket).key("inputs/kling.mp4").metadata(Map.of("model", "kwaivgi/kling-video-to-audio",
                "sound-effect-prompt", "a ball bouncing on a wooden floor", "asmr-mode", "true")), CLIP);
        JsonNode result = Json.parse(new String(await("outputs/kling.mp4.result.json")));
        assertEquals("completed", result.at("/data/status").asText(), result.toString());
        assertEquals("kwaivgi/kling-video-to-audio", result.at("/data/model").asText());
        s3.putObject(r -> r.bucket(bucket).key("inputs/nomodel.mp4").metadata(Map.of("model", "acme/nothing", "prompt", "x")), CLIP);
        JsonNode err = Json.parse(new String(await("outputs/nomodel.mp4.error.json")));
        assertTrue(err.get("message").asText().contains("model: must be a video model's path or its long path"), err.toString());
    }

    @Test
    void badMetadataWritesOnlyAnErrorFile() throws Exception {
        s3.putObject(r -> r.bucket(bucket).key("inputs/bad.mp4").metadata(Map.of("prompt", "x", "duration", "45",
                "mask-away-clip", "maybe")), CLIP);
        JsonNode err = Json.parse(new String(await("outputs/bad.mp4.error.json")));
        assertEquals(400, err.get("code").asInt());
        String m = err.get("message").asText();
        assertTrue(m.contains("duration: must be an integer between 1 and 30, got 45"), m);
        assertTrue(m.contains("mask_away_clip: must be true or false"), m);
        Thread.sleep(500);
        assertFalse(exists("outputs/bad.mp4"));
        assertFalse(exists("outputs/bad.mp4.result.json"));
    }

    @Test
    void aSidecarJsonCarriesTheParametersEvenWhenItArrivesSecond() throws Exception {
        s3.putObject(r -> r.bucket(bucket).key("inputs/side/clip.mp4"), CLIP); // no metadata, no sidecar yet
        JsonNode early = Json.parse(new String(await("outputs/side/clip.mp4.error.json")));
        assertTrue(early.get("message").asText().contains("prompt: required"), early.toString());
        s3.putObject(r -> r.bucket(bucket).key("inputs/side/clip.json"),
                RequestBody.fromString("{\"prompt\":\"雨 on glass\",\"duration\":3,\"webhook\":\"http://127.0.0.1:9/hook\"}"));
        JsonNode result = Json.parse(new String(await("outputs/side/clip.mp4.result.json")));
        assertEquals("completed", result.at("/data/status").asText());
    }

    /**
     * Segments come in a sidecar as in a request body (a short request with segments is windowed on
     * the long path): each window is sent with its segment's prompt; a bad range is a 400 naming it.
     */
    @Test
    void aSidecarCanCarrySegments() throws Exception {
        s3.putObject(r -> r.bucket(bucket).key("inputs/seg/clip.json"), RequestBody.fromString("{\"prompt\":\"room tone\","
                + "\"segments\":[{\"start\":0,\"end\":2,\"prompt\":\"engine hum\"},"
                + "{\"start\":2,\"end\":4,\"prompt\":\"birds chirping\"}]}"));
        s3.putObject(r -> r.bucket(bucket).key("inputs/seg/clip.mp4"), CLIP);
        JsonNode result = Json.parse(new String(await("outputs/seg/clip.mp4.result.json")));
        assertEquals("completed", result.at("/data/status").asText(), result.toString());
        String id = result.at("/data/id").asText();
        var windows = foley.foley().predictions().windowsOf(id);
        assertEquals(2, windows.size(), "one window per segment: " + windows);
        assertEquals(java.util.Set.of("engine hum", "birds chirping"), windows.stream().map(w -> w.request().prompt())
                .collect(java.util.stream.Collectors.toSet()));
        s3.putObject(r -> r.bucket(bucket).key("inputs/seg/bad.json"), RequestBody.fromString("{\"prompt\":\"x\","
                + "\"model\":\"foley/mmaudio-v2-long\",\"segments\":[{\"start\":3,\"end\":2,\"prompt\":\"rain\"}]}"));
        s3.putObject(r -> r.bucket(bucket).key("inputs/seg/bad.mp4"), CLIP);
        JsonNode err = Json.parse(new String(await("outputs/seg/bad.mp4.error.json")));
        assertEquals(400, err.get("code").asInt());
        assertTrue(err.get("message").asText().contains("segments[0].end"), err.toString());
    }

    @Test
    void aRedeliveredEventMakesNoSecondPredictionAndKeysAreDecoded() throws Exception {
        String key = "inputs/my clip é.mp4";
        s3.putObject(r -> r.bucket(bucket).key(key).metadata(Map.of("prompt", "knock on a door")), CLIP);
        await("outputs/my clip é.mp4.result.json");
        int before = count();
        // The same event again, from the fixture (URL-encoded key), twice: at-least-once delivery.
        String json = Files.readString(Moto.projectRoot().resolve("events/s3-put.json")).replace("foley-uploads", bucket);
        var serializer = LambdaEventSerializers.serializerFor(S3Event.class, IngestTest.class.getClassLoader());
        IngestHandler handler = new IngestHandler(foley.foley().ingest());
        try (InputStream in = new java.io.ByteArrayInputStream(json.getBytes())) {
            S3Event event = serializer.fromJson(in);
            assertEquals("[REPLAYED]", Lambdas.ingest(handler, event));
            assertEquals("[REPLAYED]", Lambdas.ingest(handler, event));
        }
        assertEquals(before, count());
    }

    @Test
    void aPrepaidIngestKeyPaysUpFrontOrNothingStarts() throws Exception {
        var keys = foley.foley().keys();
        String hash = dev.foley.key.KeyMaterial.sha256Hex(foley.apiKey());
        String keyId = keys.findByHash(hash).orElseThrow().keyId();
        long start = keys.findByHash(hash).orElseThrow().balanceMicroUsd() == null ? 0
                : keys.findByHash(hash).orElseThrow().balanceMicroUsd();
        keys.credit(keyId, 2_000 - start); // prepaid, $0.002: less than a 4-second track costs
        int before = count();
        s3.putObject(r -> r.bucket(bucket).key("inputs/prepaid/short.mp4").metadata(Map.of("prompt", "a ball", "duration", "4")),
                CLIP);
        JsonNode err = Json.parse(new String(await("outputs/prepaid/short.mp4.error.json")));
        assertEquals(402, err.get("code").asInt());
        assertTrue(err.get("message").asText().contains("this upload costs $0.004"), err.toString());
        assertEquals(before, count(), "nothing was stored");
        assertEquals(2_000L, keys.findByHash(hash).orElseThrow().balanceMicroUsd(), "nothing was taken");

        keys.credit(keyId, 1_000_000);
        s3.putObject(r -> r.bucket(bucket).key("inputs/prepaid/paid.mp4").metadata(Map.of("prompt", "a ball", "duration", "4")),
                CLIP);
        assertEquals("completed", Json.parse(new String(await("outputs/prepaid/paid.mp4.result.json"))).at("/data/status").asText());
        assertEquals(1_002_000L - 4_000L, keys.findByHash(hash).orElseThrow().balanceMicroUsd(), "the track was paid for once");
        keys.credit(keyId, 1_000_000_000); // plenty for the other tests here
    }

    static int count() throws Exception {
        var list = foley.foley().predictions().list(foley.foley().keys().findByHash(
                dev.foley.key.KeyMaterial.sha256Hex(foley.apiKey())).orElseThrow().keyId(), 100, null);
        return list.items().size();
    }
}
