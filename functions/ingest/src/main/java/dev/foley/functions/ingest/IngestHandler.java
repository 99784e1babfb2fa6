package dev.foley.functions.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification.S3EventNotificationRecord;
import dev.foley.Foley;
import dev.foley.ingest.Ingest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.crac.Core;
import org.crac.Resource;

/**
 * S3 {@code ObjectCreated} on {@code inputs/} of the uploads bucket → {@link Ingest}. Keys arrive
 * URL-encoded (spaces as {@code +}); they are decoded here, once.
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
        List<String> outcomes = new ArrayList<>();
        if (event == null || event.getRecords() == null) {
            return "[]";
        }
        for (S3EventNotificationRecord r : event.getRecords()) {
            if (r.getEventName() == null || !r.getEventName().startsWith("ObjectCreated")) {
                outcomes.add("IGNORED");
                continue;
            }
            String bucket = r.getS3().getBucket().getName();
            String key = URLDecoder.decode(r.getS3().getObject().getKey(), StandardCharsets.UTF_8);
            outcomes.add(ingest.onObjectCreated(bucket, key).name());
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
