package dev.foley.functions.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
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
 * S3 {@code ObjectCreated} on {@code inputs/} of the uploads bucket → {@link Ingest}. The event
 * arrives as the runtime reads any JSON event (nested maps: {@code Records[].eventName},
 * {@code .s3.bucket.name}, {@code .s3.object.key}). Keys arrive URL-encoded (spaces as {@code +});
 * they are decoded here, once.
 */
public final class IngestHandler implements RequestHandler<Map<String, Object>, String>, Resource {

    private final Ingest ingest;

    public IngestHandler() {
        this(Foley.fromEnvironment(System.getenv()).ingest());
        Core.getGlobalContext().register(this);
    }

    public IngestHandler(Ingest ingest) {
        this.ingest = ingest;
    }

    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), null)) {
            return handle(event, context);
        }
    }

    private String handle(Map<String, Object> event, Context context) {
        List<String> outcomes = new ArrayList<>();
        if (event == null || !(event.get("Records") instanceof List<?> records)) {
            return "[]";
        }
        for (Object o : records) {
            Map<String, Object> r = map(o);
            if (!(r.get("eventName") instanceof String name) || !name.startsWith("ObjectCreated")) {
                outcomes.add("IGNORED");
                continue;
            }
            Map<String, Object> s3 = map(r.get("s3"));
            String bucket = String.valueOf(map(s3.get("bucket")).get("name"));
            String key = URLDecoder.decode(String.valueOf(map(s3.get("object")).get("key")), StandardCharsets.UTF_8);
            outcomes.add(ingest.onObjectCreated(bucket, key).name());
        }
        return outcomes.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
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
