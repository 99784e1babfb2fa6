package dev.foley.provider;

import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import java.time.Duration;

/** Requests and fast policies for the provider tests. */
final class Fixtures {

    /** Short timeouts and delays, so misbehaving emulators make quick tests. */
    static final ProviderHttp.Policies FAST = new ProviderHttp.Policies(
            new ProviderHttp.Policy(3, Duration.ofMillis(10), Duration.ofSeconds(2), Duration.ofMillis(700)),
            new ProviderHttp.Policy(3, Duration.ofMillis(10), Duration.ofSeconds(2), Duration.ofMillis(700)));

    static final ProviderHttp HTTP = new ProviderHttp(Duration.ofSeconds(2));

    static PredictionRequest video() {
        return new PredictionRequest(Kind.VIDEO, "https://cdn.example.com/bounce.mp4", "a ball bounces on wood",
                "music", 30, 6, 7.5, false, 1234, false);
    }

    static PredictionRequest text() {
        return new PredictionRequest(Kind.TEXT, null, "thunder over a valley", "", 25, 8, 4.5, false, null, false);
    }

    private Fixtures() {
    }

    /** A provider that only records that it was asked to submit (for which provider a chain asks, not what it sends). */
    static InferenceProvider recording(String name, java.util.List<String> seen) {
        return new InferenceProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public dev.foley.prediction.ProviderJob submit(PredictionRequest request, java.util.Optional<java.net.URI> callback,
                    dev.foley.time.Deadline until) {
                seen.add(name);
                return new dev.foley.prediction.ProviderJob(name, "job-" + seen.size(), java.util.Map.of());
            }

            @Override
            public JobStatus check(dev.foley.prediction.ProviderJob job, dev.foley.time.Deadline until) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CancelOutcome cancel(dev.foley.prediction.ProviderJob job, dev.foley.time.Deadline until) {
                throw new UnsupportedOperationException();
            }

            @Override
            public JobUpdate verifyCallback(java.util.Map<String, String> headers, byte[] body) {
                throw new UnsupportedOperationException();
            }
        };
    }
}
