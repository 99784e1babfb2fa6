package dev.foley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.store.UploadStore;
import dev.foley.view.Envelope;
import dev.foley.view.PredictionView;
import java.util.List;

/**
 * The files an S3-triggered prediction leaves beside its upload: {@code outputs/<path>} and
 * {@code outputs/<path>.result.json} when it completes, {@code outputs/<path>.error.json} when its
 * parameters are refused or it fails. Apart from {@link Ingest} (which starts predictions, through
 * the admission that needs the pipeline), so the pipeline can be given it when it is built.
 */
public final class IngestResults {

    private final UploadStore uploads;
    private final String outputsBucket;
    private final PredictionView.OutputLinks links;

    public IngestResults(UploadStore uploads, String outputsBucket, PredictionView.OutputLinks links) {
        this.uploads = uploads;
        this.outputsBucket = outputsBucket;
        this.links = links;
    }

    /**
     * Writes the result beside the upload when an S3-triggered prediction ends (the pipeline's
     * worker calls it, and calls it again later if it throws).
     */
    public void writeResult(Prediction p) {
        if (p.ingestKey() == null) {
            return;
        }
        if (p.phase() == Phase.COMPLETED && !p.outputKeys().isEmpty()) {
            String target = Ingest.OUTPUTS + p.ingestKey().substring(Ingest.INPUTS.length());
            uploads.copyFrom(outputsBucket, p.outputKeys().get(0), target);
            uploads.putJson(target + ".result.json", Envelope.ok(PredictionView.data(p, "", links)));
        } else if (p.phase().terminal()) {
            writeError(p.ingestKey(), 200, p.error(), List.of(), PredictionView.data(p, "", PredictionView.OutputLinks.NONE));
        }
    }

    /** {@code outputs/<path>.error.json} for the upload at {@code inputKey}: the envelope, and the prediction when there is one. */
    void writeError(String inputKey, int code, String message, List<FieldError> errors, ObjectNode data) {
        String target = Ingest.OUTPUTS + inputKey.substring(Ingest.INPUTS.length()) + ".error.json";
        JsonNode env = Json.parse(Envelope.error(code, message, errors));
        if (data != null) {
            ((ObjectNode) env).set("data", data);
        }
        uploads.putJson(target, Json.write(env));
    }
}
