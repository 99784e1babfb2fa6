package dev.foley.aws;

import dev.foley.config.Settings;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The one way Foley builds AWS clients: the URL-connection HTTP client (small, fast to start, no
 * netty), an explicit region, and an endpoint override when one is configured, so the same code
 * talks to moto, LocalStack or AWS.
 */
public final class AwsClients {

    private final Settings settings;
    private final AwsCredentialsProvider credentials;
    private final SdkHttpClient http;

    public AwsClients(Settings settings, AwsCredentialsProvider credentials) {
        this.settings = settings;
        this.credentials = credentials;
        this.http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** Credentials from the default chain (the Lambda role on AWS). */
    public static AwsClients fromSettings(Settings settings) {
        return new AwsClients(settings, DefaultCredentialsProvider.builder().build());
    }

    public DynamoDbClient dynamo() {
        var b = configure(DynamoDbClient.builder());
        settings.endpointFor(settings.dynamoEndpoint()).ifPresent(b::endpointOverride);
        return b.build();
    }

    /** S3, path-style when an endpoint is configured (moto, LocalStack). */
    public software.amazon.awssdk.services.s3.S3Client s3() {
        var b = configure(software.amazon.awssdk.services.s3.S3Client.builder());
        settings.endpointFor(settings.s3Endpoint()).ifPresent(e -> b.endpointOverride(e).forcePathStyle(true));
        return b.build();
    }

    /** Presigned URLs, with the same endpoint and addressing as {@link #s3()}. No network call. */
    public software.amazon.awssdk.services.s3.presigner.S3Presigner presigner() {
        var b = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials);
        settings.endpointFor(settings.s3Endpoint()).ifPresent(e -> b.endpointOverride(e)
                .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder()
                        .pathStyleAccessEnabled(true).build()));
        return b.build();
    }

    public software.amazon.awssdk.services.lambda.LambdaClient lambda() {
        return withEndpoint(configure(software.amazon.awssdk.services.lambda.LambdaClient.builder())).build();
    }

    public software.amazon.awssdk.services.ssm.SsmClient ssm() {
        return withEndpoint(configure(software.amazon.awssdk.services.ssm.SsmClient.builder())).build();
    }

    public software.amazon.awssdk.services.sqs.SqsClient sqs() {
        return withEndpoint(configure(software.amazon.awssdk.services.sqs.SqsClient.builder())).build();
    }

    /** The settings every client shares: our HTTP client, the region, the credentials. */
    private <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, ?>
            & software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<B, ?>> B configure(B b) {
        return b.httpClient(http).region(Region.of(settings.region())).credentialsProvider(credentials);
    }

    private <B extends software.amazon.awssdk.core.client.builder.SdkClientBuilder<B, ?>> B withEndpoint(B b) {
        settings.awsEndpoint().ifPresent(b::endpointOverride);
        return b;
    }

    public SdkHttpClient httpClient() {
        return http;
    }
}
