package dev.foley.functions.media;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.foley.Foley;
import dev.foley.media.FfmpegMedia;
import dev.foley.net.PinnedHttp;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Prediction;
import java.nio.file.Path;
import java.util.Map;

/**
 * Invoked asynchronously with {@code {"prediction_id": "<id>"}}, like completion: does what is due
 * for that prediction, media work included (cutting a long video into windows; joining their
 * sound, the clip's own sound, the format asked for). The only function with FFmpeg (from its
 * layer). Idempotent: each media step is claimed first, and a retried invoke finds nothing due.
 */
public final class MediaHandler implements RequestHandler<Map<String, Object>, String> {

    private final Pipeline pipeline;

    public MediaHandler() {
        this(wire(System.getenv()));
    }

    public MediaHandler(Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    private static Pipeline wire(Map<String, String> env) {
        // The media work is this function's own, given to the pipeline when it is built.
        return Foley.fromEnvironment(env, java.util.Optional.of((bucket, settings, own) -> new FfmpegMedia(bucket,
                new PinnedHttp(settings.strictUrls()), Path.of("/tmp/foley-media")))).pipeline();
    }

    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), null)) {
            return handle(event, context);
        }
    }

    private String handle(Map<String, Object> event, Context context) {
        Object id = event == null ? null : event.get("prediction_id");
        if (!(id instanceof String s) || !IdGenerator.looksLikeWorkId(s)) {
            return "{\"ignored\":\"no valid prediction_id\"}";
        }
        Prediction p = pipeline.runMedia(s);
        return p == null ? "{\"ignored\":\"unknown prediction\"}" : "{\"status\":\"" + p.phase().status() + "\"}";
    }
}
