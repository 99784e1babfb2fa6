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
}
