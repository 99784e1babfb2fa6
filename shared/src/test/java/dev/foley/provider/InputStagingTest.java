package dev.foley.provider;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.time.Deadline;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When a video goes to a provider as an upload, and when a callback is left out (FOLEY_UPLOAD_INPUTS). */
class InputStagingTest {

    /** A provider whose API is at {@code base} (empty: one that runs here, as the offline generator). */
    static InferenceProvider at(Optional<URI> base) {
        return new InferenceProvider() {
            public String name() {
                return "p";
            }

            public Optional<URI> base() {
                return base;
            }

            public ProviderJob submit(PredictionRequest r, Optional<URI> c, Deadline u) {
                throw new UnsupportedOperationException();
            }

            public JobStatus check(ProviderJob j, Deadline u) {
                throw new UnsupportedOperationException();
            }

            public CancelOutcome cancel(ProviderJob j, Deadline u) {
                throw new UnsupportedOperationException();
            }

            public JobUpdate verifyCallback(Map<String, String> h, byte[] b) {
                throw new UnsupportedOperationException();
            }
        };
    }

    static final InferenceProvider ON_THE_INTERNET = at(Optional.of(URI.create("https://93.184.216.34")));
    static final InferenceProvider ON_THE_LAN = at(Optional.of(URI.create("http://10.0.0.7:8000")));
    static final InferenceProvider HERE = at(Optional.empty());
    static final URI LOCAL_S3 = URI.create("http://127.0.0.1:4566/foley-uploads/a.mp4?X-Amz-Signature=1");
    static final URI LAN = URI.create("http://192.168.1.20/clip.mp4");
    static final URI PUBLIC = URI.create("https://93.184.216.34/clip.mp4");

    @Test
    void autoUploadsWhatAProviderOnTheInternetCannotReach() {
        InputStaging auto = new InputStaging(InputStaging.Mode.AUTO, null, null);
        assertTrue(auto.mustUpload(ON_THE_INTERNET, LOCAL_S3));
        assertTrue(auto.mustUpload(ON_THE_INTERNET, LAN));
        assertFalse(auto.mustUpload(ON_THE_INTERNET, PUBLIC), "a public URL goes as it is");
        assertFalse(auto.mustUpload(ON_THE_LAN, LAN), "a provider on the same network reads it itself");
        assertFalse(auto.mustUpload(HERE, LOCAL_S3), "the offline generator reads local files");
    }

    @Test
    void alwaysAndNever() {
        InputStaging always = new InputStaging(InputStaging.Mode.ALWAYS, null, null);
        assertTrue(always.mustUpload(ON_THE_LAN, LAN));
        assertFalse(always.mustUpload(ON_THE_LAN, PUBLIC));
        assertFalse(always.mustUpload(HERE, LOCAL_S3));
        assertFalse(new InputStaging(InputStaging.Mode.NEVER, null, null).mustUpload(ON_THE_INTERNET, LOCAL_S3));
        assertEquals(InputStaging.Mode.AUTO, InputStaging.Mode.parse(null));
        assertEquals(InputStaging.Mode.ALWAYS, InputStaging.Mode.parse(" Always "));
        var e = assertThrows(IllegalStateException.class, () -> InputStaging.Mode.parse("sometimes"));
        assertEquals("FOLEY_UPLOAD_INPUTS must be auto, always or never, got 'sometimes'", e.getMessage());
    }

    @Test
    void aCallbackNoProviderOnTheInternetCanReachIsLeftOut() {
        InputStaging auto = new InputStaging(InputStaging.Mode.AUTO, null, null);
        Optional<URI> loopback = Optional.of(URI.create("http://127.0.0.1:8080/internal/callbacks/p/1"));
        Optional<URI> open = Optional.of(URI.create("https://93.184.216.34/internal/callbacks/p/1"));
        assertEquals(Optional.empty(), auto.callbackFor(ON_THE_INTERNET, loopback), "the poller asks instead");
        assertEquals(open, auto.callbackFor(ON_THE_INTERNET, open));
        assertEquals(loopback, auto.callbackFor(ON_THE_LAN, loopback));
    }

    @Test
    void namesAndTypesAsTheProvidersClientsSendThem() {
        assertEquals("a.mp4", InputStaging.fileName(LOCAL_S3));
        assertEquals("video.mp4", InputStaging.fileName(URI.create("http://127.0.0.1/")));
        assertEquals("my_clip__1_.mov", InputStaging.fileName(URI.create("http://127.0.0.1/x/my%20clip%20(1).mov")));
        assertEquals("video/mp4", InputStaging.guessType("a.MP4"));
        assertEquals("video/quicktime", InputStaging.guessType("a.mov"));
        assertEquals("application/octet-stream", InputStaging.guessType("noext"));
    }

    /** A provider whose API is public and whose uploads must not be reached in these cases. */
    static final InferenceProvider NEVER_UPLOADED = ON_THE_INTERNET;

    @Test
    void aVideoThatCannotBeReadIsFinalOnlyWhenItWillNotPass() throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 8);
        java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(status.get(), -1);
            ex.close();
        });
        server.start();
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try {
            InputStaging auto = new InputStaging(InputStaging.Mode.AUTO, new dev.foley.net.PinnedHttp(false),
                    java.nio.file.Files.createTempDirectory("staging"));
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/clip.mp4";
            status.set(404);
            assertEquals(ProviderException.Kind.REJECTED, stage(auto, base).kind(), "a 404 will not pass");
            status.set(503);
            ProviderException busy = stage(auto, base);
            assertEquals(ProviderException.Kind.RETRYABLE, busy.kind(), "a 503 may pass: " + busy.getMessage());
            ProviderException down = stage(auto, "http://127.0.0.1:" + closed + "/clip.mp4");
            assertEquals(ProviderException.Kind.RETRYABLE, down.kind(), "a refused connection may pass: " + down.getMessage());
            assertEquals("video: could not be read (the connection failed)", down.getMessage());
        } finally {
            server.stop(0);
        }
    }

    static ProviderException stage(InputStaging s, String url) {
        var r = new PredictionRequest(dev.foley.prediction.Kind.VIDEO, url, "p", "", 25, 8, 4.5, false, null, false);
        return assertThrows(ProviderException.class,
                () -> s.forProvider(NEVER_UPLOADED, r, new java.util.ArrayList<>(), Deadline.in(java.time.Clock.systemUTC(),
                        java.time.Duration.ofSeconds(20))));
    }
}
