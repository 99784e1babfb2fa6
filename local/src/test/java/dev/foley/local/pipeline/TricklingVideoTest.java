package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import dev.foley.api.FoleyApi;
import dev.foley.local.Moto;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile video server that trickles a byte every two seconds (announcing a 1 MB body) must cost
 * one bounded failure, not everyone's media work: before, two such long-video submits held both of
 * local mode's media threads for about 14 minutes, and every other prediction needing media work
 * waited behind them. Now each fetch has a rate floor and a total cap, and each hand-over runs on
 * its own thread, as each media invocation does on Lambda. The order of events is asserted (the
 * honest clip completes before the trickling ones fail), not how long anything took.
 */
@ExtendWith(Moto.class)
class TricklingVideoTest {

    @TempDir
    Path dir;

    @Test
    void aTricklingVideoServerFailsItsOwnPredictionAndHoldsUpNoOtherMediaWork() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        HttpServer trickle = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        trickle.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        trickle.createContext("/slow.mp4", ex -> {
            connections.incrementAndGet();
            try (ex) {
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, 1_000_000);
                for (int i = 0; i < 600; i++) {
                    ex.getResponseBody().write(0);
                    ex.getResponseBody().flush();
                    Thread.sleep(2000);
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            } catch (java.io.IOException hungUp) {
                // the fetcher gave up on us, as it should
            }
        });
        trickle.start();
        String slowUrl = "http://127.0.0.1:" + trickle.getAddress().getPort() + "/slow.mp4";
        try (var media = new MediaServer(); var st = RunningStack.offline("trickle", dir)) {
            List<String> slow = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                slow.add(st.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + slowUrl + "\",\"prompt\":\"rain\"}", null).get("id").asText());
            }
            // An honest clip that needs the same media work (cut, join), submitted after them.
            String honest = st.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.url("bounce-4s.mp4")
                    + "\",\"prompt\":\"a rubber ball bouncing\",\"seed\":3}", null).get("id").asText();
            Prediction done = st.await(honest, p -> p.phase().terminal(), Duration.ofMinutes(3));
            assertEquals(Phase.COMPLETED, done.phase(), done.error());
            for (String id : slow) {
                Prediction p = st.await(id, q -> q.phase().terminal(), Duration.ofMinutes(3));
                assertEquals(Phase.FAILED, p.phase());
                assertTrue(p.error().startsWith("video could not be fetched: the server sent"), p.error());
                assertTrue(p.error().contains("under the floor of 16 KB/s"), p.error());
                assertEquals(0, p.chargeMicroUsd(), "never charged");
                assertTrue(p.updatedAt().isAfter(done.completedAt()), "the honest clip finished while the slow ones were still fetched");
            }
            assertEquals(3, connections.get(), "one fetch each: a trickling server is not asked again");
            // A cancel frees the work: the media step's lease renewal finds its claim gone and stops the fetch.
            String cancelled = st.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + slowUrl + "\",\"prompt\":\"rain\"}", null)
                    .get("id").asText();
            while (connections.get() < 4) {
                Thread.sleep(50);
            }
            assertEquals(200, st.cancel(cancelled));
            Prediction c = st.await(cancelled, q -> q.attempts().stream().anyMatch(l -> l.contains("the fetch was stopped")),
                    Duration.ofMinutes(1));
            assertEquals(Phase.CANCELLED, c.phase());
            assertTrue(c.attempts().stream().noneMatch(l -> l.contains("under the floor")), "stopped by the cancel, not the floor: "
                    + c.attempts());
        } finally {
            trickle.stop(0);
        }
    }
}
