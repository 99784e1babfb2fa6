package dev.foley.obs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;

/**
 * Metrics as CloudWatch Embedded Metric Format: each is one JSON line in the function's log (no
 * API call, no client), which CloudWatch turns into the metric. Namespace
 * {@code FOLEY_METRICS_NAMESPACE} (the template sets {@code Foley/<stack>}). Every metric is a
 * {@link Metric}: its unit and dimension sets are fixed there, and the template's alarms and
 * dashboard name only these (a test checks both ways).
 */
public final class Metrics {

    public static final String NAMESPACE = System.getenv().getOrDefault("FOLEY_METRICS_NAMESPACE", "Foley");

    private Metrics() {
    }

    /** What Foley measures. Dimension sets: each is a list of dimension names ({@code []}: the metric across all). */
    public enum Metric {
        PredictionsSubmitted("Count", List.of(List.of("Model", "Provider"), List.of())),
        PredictionsCompleted("Count", List.of(List.of("Model", "Provider"), List.of())),
        PredictionsFailed("Count", List.of(List.of("Model", "Provider"), List.of())),
        PredictionsCancelled("Count", List.of(List.of("Model", "Provider"), List.of())),
        ProviderSubmitLatency("Milliseconds", List.of(List.of("Provider"), List.of())),
        TimeToDone("Milliseconds", List.of(List.of("Model"), List.of())),
        WebhookDeliveries("Count", List.of(List.of("Outcome"))),
        WebhookGiveUps("Count", List.of(List.of())),
        PollerBacklog("Count", List.of(List.of())),
        PollerLag("Milliseconds", List.of(List.of())),
        /** A step the poller started threw (it stays due and is tried again; Lambda never sees it as an error). */
        StepErrors("Count", List.of(List.of())),
        /** A cancel of a provider job that failed (tried again at its backoff step). */
        JobStopFailures("Count", List.of(List.of("Provider"), List.of())),
        /** The sound check: how far off the picture a result's sound is (absolute, ms), and its loudness. */
        SyncOffset("Milliseconds", List.of(List.of())),
        IntegratedLoudness("None", List.of(List.of())),
        BytesCopied("Bytes", List.of(List.of())),
        CopyTime("Milliseconds", List.of(List.of())),
        ApiResponses("Count", List.of(List.of("Route", "StatusClass"), List.of("StatusClass"))),
        SecondsCharged("Seconds", List.of(List.of())),
        MicroUsdCharged("None", List.of(List.of()));

        private final String unit;
        private final List<List<String>> dimensionSets;

        Metric(String unit, List<List<String>> dimensionSets) {
            this.unit = unit;
            this.dimensionSets = dimensionSets;
        }

        public String unit() {
            return unit;
        }

        public List<List<String>> dimensionSets() {
            return dimensionSets;
        }
    }

    /**
     * One value of {@code m}, with its dimensions' values ({@code name, value, name, value, …});
     * a dimension {@code m} declares but not given here is written as {@code "-"}.
     */
    public static void put(Metric m, double value, String... dimensions) {
        if (!Log.sink().accepts(Level.INFO)) {
            return; // nobody keeps it: not even written out
        }
        ObjectNode n = Json.object();
        ObjectNode aws = n.putObject("_aws");
        aws.put("Timestamp", System.currentTimeMillis());
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        ArrayNode sets = directive.putArray("Dimensions");
        for (List<String> set : m.dimensionSets()) {
            ArrayNode a = sets.addArray();
            set.forEach(a::add);
            for (String d : set) {
                n.put(d, "-");
            }
        }
        directive.putArray("Metrics").addObject().put("Name", m.name()).put("Unit", m.unit());
        for (int i = 0; i + 1 < dimensions.length; i += 2) {
            if (n.has(dimensions[i])) {
                n.put(dimensions[i], dimensions[i + 1] == null || dimensions[i + 1].isEmpty() ? "-" : dimensions[i + 1]);
            }
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            n.put(m.name(), (long) value);
        } else {
            n.put(m.name(), value);
        }
        Log.sink().accept(Level.INFO, Json.write(n), Map.of("metric", m.name()));
    }
}
