package dev.foley.functions.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.foley.Foley;
import dev.foley.ingest.Ingest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/**
 * S3 {@code ObjectCreated} on {@code inputs/} of the uploads bucket → {@link Ingest}. The event is
 * the Lambda events library's {@link S3Event}, which the runtime reads. Keys arrive URL-encoded
 * (spaces as {@code +}); they are decoded here, once.
 */
public final class IngestHandler implements RequestHandler<S3Event, String>, Resource {

    private final Ingest ingest;

    public IngestHandler() {
        this(Foley.fromEnvironment(System.getenv()).ingest());
        Core.getGlobalContext().register(this);
    }

    public IngestHandler(Ingest ingest) {
        this.ingest = ingest;
    }

    @Override
    public String handleRequest(S3Event event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), null)) {
            return handle(event, context);
        }
    }

    private String handle(S3Event event, Context context) {
        List<String> outcomes = new ArrayList<>();
        if (event == null || event.getRecords() == null) {
            return "[]";
        }
        for (var r : event.getRecords()) {
            if (r == null || r.getEventName() == null || !r.getEventName().startsWith("ObjectCreated") || r.getS3() == null
                    || r.getS3().getBucket() == null || r.getS3().getObject() == null || r.getS3().getObject().getKey() == null) {
                outcomes.add("IGNORED");
                continue;
            }
            String key = URLDecoder.decode(r.getS3().getObject().getKey(), StandardCharsets.UTF_8);
            outcomes.add(ingest.onObjectCreated(r.getS3().getBucket().getName(), key).name());
        }
        return outcomes.toString();
    }

    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        // Nothing to prime without touching a real object; the shared classes load with the first event.
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) {
        // nothing captured at init
    }
}
