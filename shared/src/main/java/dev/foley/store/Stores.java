package dev.foley.store;

import dev.foley.aws.AwsClients;
import dev.foley.config.Settings;
import java.time.Clock;

/**
 * Every store over one table and the two buckets, made from the clients: the wiring never holds
 * an SDK client itself.
 */
public record Stores(PredictionStore predictions, ApiKeyStore keys, UsageStore usage, WebhookAttempts attempts,
        OutputStore outputs, UploadStore uploads) {

    public static Stores open(AwsClients clients, Settings s, Clock clock) {
        var dynamo = clients.dynamo();
        var s3 = clients.s3();
        return new Stores(new PredictionStore(dynamo, s.table(), clock, s.dueShards(), s.retention()),
                new ApiKeyStore(dynamo, s.table(), clock),
                new UsageStore(dynamo, s.table()),
                new WebhookAttempts(dynamo, s.table(), clock, s.retention()),
                new OutputStore(s3, s.outputsBucket(), s.linkTtl(), s.outputsPublicBase()),
                new UploadStore(s3, s.uploadsBucket()));
    }
}
