package dev.foley.local;

import dev.foley.functions.ingest.IngestHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Local mode's S3 trigger. The local endpoint's S3 cannot invoke a Lambda function, but it can
 * notify an SQS queue (as S3 does): uploads under {@code inputs/} are announced on
 * {@code foley-ingest-<bucket hash>}, and this loop hands each notification, read as the Lambda runtime reads
 * an S3 event, to the same {@link IngestHandler} a deployed stack runs.
 */
final class LocalIngestFeed implements AutoCloseable {

    static final String QUEUE = "foley-ingest";

    private final Thread thread;
    private volatile boolean running = true;

    private LocalIngestFeed(SqsClient sqs, String queueUrl, IngestHandler handler) {
        thread = Thread.ofPlatform().daemon().name("foley-local-ingest").start(() -> {
            while (running) {
                try {
                    // Short polls: moto serves one request at a time, and a long poll would hold it.
                    var msgs = sqs.receiveMessage(r -> r.queueUrl(queueUrl).waitTimeSeconds(0).maxNumberOfMessages(10)).messages();
                    if (msgs.isEmpty()) {
                        Thread.sleep(200);
                    }
                    for (var m : msgs) {
                        if (m.body().contains("\"Records\"")) {
                            Lambdas.ingest(handler, m.body(), LocalContext.of(m.messageId(), "foley-ingest", 60));
                        }
                        sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    if (running) {
                        System.err.println("foley: ingest feed: " + e.getMessage());
                        sleep();
                    }
                }
            }
        });
    }

    /** Creates the queue, points the bucket's object-created notifications under inputs/ at it, and starts feeding. */
    static LocalIngestFeed start(SqsClient sqs, S3Client s3, String bucket, IngestHandler handler) {
        // One queue per bucket: several local stacks may share one endpoint (the tests do).
        String url = sqs.createQueue(r -> r.queueName(QUEUE + "-" + Integer.toHexString(bucket.hashCode()))).queueUrl();
        String arn = sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNamesWithStrings("QueueArn"))
                .attributesAsStrings().get("QueueArn");
        s3.putBucketNotificationConfiguration(r -> r.bucket(bucket).notificationConfiguration(n -> n.queueConfigurations(q -> q
                .queueArn(arn).events(List.of(Event.S3_OBJECT_CREATED))
                .filter(f -> f.key(k -> k.filterRules(fr -> fr.name("prefix").value("inputs/")))))));
        return new LocalIngestFeed(sqs, url, handler);
    }

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }

}
